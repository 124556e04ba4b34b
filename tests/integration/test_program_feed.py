"""The program feed: the court switches what the public sees between two cameras and the
evidence source, and the public viewer gets continuous, decodable frames of the chosen source
within one GOP of each switch (each camera draws numbers of its own range), while one who
watched a camera before the program began is hung up; an off-record period puts the program
on the slate (no frame goes out) while the archive keeps every frame; every switch is a
marker; a public viewer may not pick a camera while the program runs. Live HLS follows the
program too (the recording's `program` track, one epoch per source on air, nothing over the
slate), and the archive keeps it beside every camera's frames."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import av
import httpx

from tests.integration.test_in_session import CUT_WITHIN_S, frames_stop_within
from tests.support.archive import fetch_track
from tests.support.camera import CameraPublisher, EncodingCamera
from tests.support.clips import read_frame_number
from tests.support.fixtures_api import create_hearing
from tests.support.publisher import send_following_redirects
from tests.support.server import RunningServer
from tests.support.viewer import NUMBER_ROWS, WhepClient, wait_until

FPS = 30
GOP = 90  # 3 s: the switch may wait at most this long for a keyframe
# the numbers each camera draws (the picture's gradient takes number * 4 in 16 bits: < 16,000)
RANGES = {"bench": 0, "witness": 5_000, "doc": 10_000}
SWITCH_WITHIN_S = GOP / FPS


def source_of(number: int) -> str:
    return max((start, name) for name, start in RANGES.items() if number >= start)[1]


async def switch_to(
    admin: httpx.AsyncClient, viewer: WhepClient, room: str, source: str
) -> list[int]:
    """Choose `source`; the numbers the viewer decodes of it in the 2 s after it came on air."""
    seen = len(viewer.numbers)
    switched = time.monotonic()
    chosen = await admin.put(f"/api/v1/courtrooms/{room}/program", json={"source": source})
    assert chosen.status_code == 200, chosen.text
    await wait_until(
        lambda: any(source_of(n) == source for n, _ in viewer.numbers[seen:]),
        SWITCH_WITHIN_S,
        f"{source} on air within one GOP",
    )
    assert time.monotonic() - switched <= SWITCH_WITHIN_S
    first = next(
        i for i in range(seen, len(viewer.numbers)) if source_of(viewer.numbers[i][0]) == source
    )
    await asyncio.sleep(2)
    after = [n for n, _ in viewer.numbers[first:]]
    assert {source_of(n) for n in after} == {source}, "nothing of the old source after the cut"
    assert after == sorted(after) and len(after) >= 1.5 * FPS, "a steady run of the source"
    return after


async def public_whep(server: RunningServer, path: str) -> httpx.Response:
    """A member of the public's WHEP POST (a stub offer), following a 307 to the worker
    process holding the courtroom as a WHEP client does."""
    response, _ = await send_following_redirects(
        "POST", server.base_url + path, None, content=b"v=0",
        headers={"Content-Type": "application/sdp"},
    )  # fmt: skip
    return response


async def test_the_program_follows_the_court_s_choice_at_keyframes_and_the_slate_sends_nothing(
    server: RunningServer,
) -> None:
    cameras = {
        name: EncodingCamera(640, 360, FPS, gop=GOP, first_number=n) for name, n in RANGES.items()
    }
    publishers: list[CameraPublisher] = []
    async with server.client() as admin:
        made = await admin.post(
            "/api/v1/courtrooms",
            json={"name": "科技法庭", "cameras": list(RANGES), "evidence_sources": ["doc"]},
        )
        assert made.status_code == 201, made.text
        room = made.json()["id"]
        hearing = await create_hearing(admin, room)
        started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
        assert started.status_code == 201, started.text
        recording = started.json()["id"]
        viewer = WhepClient(f"{server.base_url}/whep/{hearing}/program", read_numbers=True)
        watching_camera = WhepClient(f"{server.base_url}/whep/{hearing}/witness")
        try:
            for name, camera in cameras.items():
                publisher = CameraPublisher(
                    camera, f"{server.base_url}/whip/{room}/{name}", server.admin_token
                )
                await publisher.start()
                publishers.append(publisher)
            early = await public_whep(server, f"/whep/{hearing}/program")
            assert (early.status_code, early.json()) == (
                404,
                {"detail": "the court shows no program feed of this hearing"},
            )
            # a member of the public watching a camera before the court chose a program
            await watching_camera.start()
            await wait_until(lambda: watching_camera.video_frames > 10, 15, "the witness camera")
            chosen_at = time.monotonic()
            chosen = await admin.put(f"/api/v1/courtrooms/{room}/program", json={"source": "bench"})
            assert chosen.status_code == 200, chosen.text
            await frames_stop_within(watching_camera, chosen_at, CUT_WITHIN_S)  # the court chooses
            await viewer.start()
            await wait_until(lambda: len(viewer.numbers) > 10, 15, "the bench on air")
            picked = await public_whep(server, f"/whep/{hearing}/witness")
            assert picked.status_code == 403, picked.text
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as anyone:
                facts = (await anyone.get(f"/api/v1/public/hearings/{hearing}")).json()
                assert facts["program"] == {"on_air": "bench", "slate": None}

            await switch_to(admin, viewer, room, "witness")
            evidence = await switch_to(admin, viewer, room, "doc")
            assert evidence[0] >= RANGES["doc"]

            off_at = time.monotonic()
            marked = await admin.post(
                f"/api/v1/recordings/{recording}/markers",
                json={"at": _now(), "kind": "off_record_start", "text": "调解"},
            )
            assert marked.status_code == 201, marked.text
            await frames_stop_within(viewer, off_at, CUT_WITHIN_S)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as anyone:
                facts = (await anyone.get(f"/api/v1/public/hearings/{hearing}")).json()
                assert facts["program"] == {"on_air": None, "slate": "off_record"}
                camera_hls = await anyone.get(f"/live/{hearing}/witness/playlist.m3u8")
                assert camera_hls.status_code == 403, camera_hls.text
                # the public's live HLS: the sources in the order they were on air, each epoch
                # one unbroken run of its source, the evidence last (closed at the slate)
                runs: list[list[int]] = []

                async def shown_over_hls() -> bool:
                    runs[:] = await _runs(anyone, f"/live/{hearing}/program/playlist.m3u8")
                    return bool(runs) and source_of(runs[-1][0]) == "doc"

                await _eventually(shown_over_hls, 5, "the evidence listed in the program's HLS")
                sources = [source_of(run[0]) for run in runs]
                assert len(sources) >= 2 and sources == list(RANGES)[-len(sources) :], sources
            ended = await admin.post(
                f"/api/v1/recordings/{recording}/markers",
                json={"at": _now(), "kind": "off_record_end", "text": ""},
            )
            assert ended.status_code == 201, ended.text
            seen = len(viewer.numbers)
            await wait_until(
                lambda: any(source_of(n) == "doc" for n, _ in viewer.numbers[seen:]),
                SWITCH_WITHIN_S,
                "the evidence back on air after the off-record period",
            )
        finally:
            await viewer.close()
            await watching_camera.close()
            for publisher in publishers:
                await publisher.close()
        stopped = await admin.post(f"/api/v1/recordings/{recording}/stop")
        assert stopped.status_code == 200, stopped.text
        marks = (await admin.get(f"/api/v1/recordings/{recording}/markers")).json()
        assert [m["text"] for m in marks if m["kind"] == "program"] == ["bench", "witness", "doc"]
        # the archive kept every frame of every camera, off the record too
        tracks = {track["camera"]: track for track in stopped.json()["tracks"]}
        assert set(tracks) == {*RANGES, "program"}
        # what the public was shown, switch by switch: nothing over the slate
        shown = await _runs(admin, tracks.pop("program")["playlist"])
        assert [source_of(run[0]) for run in shown] == ["bench", "witness", "doc", "doc"]
        for track in tracks.values():
            numbers = [n for run in await _runs(admin, track["playlist"]) for n in run]
            start = RANGES[track["camera"]]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), track["camera"]
            assert numbers[0] - start < FPS * 2  # from (about) the start of the recording


async def _runs(client: httpx.AsyncClient, playlist: str) -> list[list[int]]:
    """The frame numbers of each epoch of a playlist, each checked to be one unbroken run."""
    runs = []
    for epoch in (await fetch_track(client, playlist)).epochs:
        with av.open(io.BytesIO(epoch.file())) as container:
            run = [
                read_frame_number(frame.to_ndarray(format="gray")[:NUMBER_ROWS])
                for frame in container.decode(video=0)
            ]
        assert run == list(range(run[0], run[0] + len(run))), run
        runs.append(run)
    return runs


async def _eventually(check: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, f"not within {within_s} s: {what}"
        await asyncio.sleep(0.25)


def _now() -> str:
    return datetime.now(UTC).isoformat()
