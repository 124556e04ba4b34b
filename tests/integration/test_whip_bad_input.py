"""Bad WHIP requests get a clear 4xx with a JSON detail; a recording beside them loses nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.support.archive import decode, fetch_track, is_contiguous_run, source_slice_nals
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher, send_following_redirects
from tests.support.server import RunningServer

FPS = 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "steady.ts"
    make_clip(path, seconds=16, width=640, height=360, fps=FPS, gop=30)
    return path


def sdp_request(
    base: str, path: str, body: bytes, token: str | None, content_type: str = "application/sdp"
) -> Awaitable[tuple[httpx.Response, list[str]]]:
    """A WHIP POST sent as a WHIP client sends it: a 307 to the node or worker process holding
    the courtroom is followed with the same body and token (RFC 9725)."""
    return send_following_redirects(
        "POST", base + path, token, content=body, headers={"Content-Type": content_type}
    )


async def test_bad_whip_requests_are_refused_while_a_recording_continues(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench", "witness"])
        hearing_id = await create_hearing(client, courtroom.id)
        recording = (await client.post(f"/api/v1/hearings/{hearing_id}/recordings")).json()
        url = f"{server.base_url}/whip/{courtroom.id}/bench"
        publisher = WhipPublisher(clip, url, server.admin_token)
        await publisher.start()
        try:
            await asyncio.sleep(2)
            good_offer = publisher.last_offer_sdp.encode()
            token = server.admin_token
            base = server.base_url
            witness = f"/whip/{courtroom.id}/witness"
            cases = [  # each request made when its turn comes
                ("garbage SDP", partial(sdp_request, base, witness, b"hello, court", token), 400),
                ("empty SDP", partial(sdp_request, base, witness, b"", token), 400),
                (
                    "SDP without media",
                    partial(
                        sdp_request,
                        base,
                        witness,
                        b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
                        token,
                    ),
                    400,
                ),
                ("not UTF-8", partial(sdp_request, base, witness, b"\xff\xfe\x00v=0", token), 400),
                (
                    "wrong content type",
                    partial(sdp_request, base, witness, good_offer, token, "application/json"),
                    415,
                ),
                (
                    "oversized body",
                    partial(sdp_request, base, witness, b"a=x\r\n" * 40_000, token),
                    413,
                ),
                (
                    "unknown courtroom",
                    partial(sdp_request, base, "/whip/nope/bench", good_offer, token),
                    404,
                ),
                (
                    "unknown camera",
                    partial(sdp_request, base, f"/whip/{courtroom.id}/ceiling", good_offer, token),
                    404,
                ),
                ("no token", partial(sdp_request, base, witness, good_offer, None), 401),
                ("invalid token", partial(sdp_request, base, witness, good_offer, "forged"), 401),
                (
                    "camera already publishing",
                    partial(
                        sdp_request, base, "/whip/" + courtroom.id + "/bench", good_offer, token
                    ),
                    409,
                ),
            ]
            for name, request, expected in cases:
                response, _ = await request()  # sent only now: one at a time
                assert response.status_code == expected, (name, response.text)
                assert response.headers["content-type"].startswith("application/json"), name
                assert isinstance(response.json()["detail"], str) and response.json()["detail"], (
                    name
                )
            health = await client.get("/healthz")
            assert health.status_code == 200
            await asyncio.sleep(4)
            stop = await client.post(f"/api/v1/recordings/{recording['id']}/stop")
            assert stop.status_code == 200, stop.text
            stopped = stop.json()
        finally:
            await publisher.close()

    bench = next(track for track in stopped["tracks"] if track["camera"] == "bench")
    async with server.client() as client:
        archived = await fetch_track(client, bench["playlist"])
    assert archived.duration_s >= 5.0
    decoded = [decode(epoch.file()) for epoch in archived.epochs]
    frames = sum(d.video_frames for d in decoded)
    assert abs(frames - archived.duration_s * FPS) <= 0.05 * archived.duration_s * FPS
    # no hole anywhere: every frame the camera sent is archived, none missing, none twice
    archived_nals = [nal for d in decoded for nal in d.slice_nals]
    assert is_contiguous_run(archived_nals, source_slice_nals(str(clip)))
    # and the wall clock runs on: each segment starts where the previous one ended, within what
    # re-anchoring on the publisher's first sender report may shift (arrival time until then)
    times = [
        (datetime.fromisoformat(line.split(":", 1)[1]), duration)
        for line, duration in zip(
            [t for t in archived.playlist.splitlines() if t.startswith("#EXT-X-PROGRAM-DATE-TIME")],
            archived.durations,
            strict=True,
        )
    ]
    for (start, duration), (next_start, _) in itertools.pairwise(times):
        assert abs(start + timedelta(seconds=duration) - next_start) < timedelta(seconds=1)
