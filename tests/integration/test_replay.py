"""A closed hearing published for replay, with an off-record period cut out at keyframes.

A camera draws its frame number in every picture and notes when each left; the operator goes
off the record for a few seconds mid-hearing. The replay, fetched anonymously like a phone's
player, decodes without any frame sent during that period, keeps the frames well before and
after, says where and why it was cut, refuses the cut segments by name, and is gone once
withdrawn.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from datetime import UTC, datetime

import av
import httpx

from tests.support.archive import fetch_track
from tests.support.camera import CameraPublisher, EncodingCamera
from tests.support.clips import read_frame_number
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer
from tests.support.viewer import NUMBER_ROWS

FPS = 30
OFF_RECORD_S = 4.0


class TimedCamera(EncodingCamera):
    """Notes when each numbered frame left (`sent_at[n]`, UNIX seconds)."""

    def __init__(self) -> None:
        super().__init__(640, 360, FPS, gop=FPS)
        self.sent_at: list[float] = []

    async def recv(self) -> av.Packet:
        packet = await super().recv()
        self.sent_at.append(time.time())
        return packet


async def mark(client: httpx.AsyncClient, recording: str, kind: str, text: str = "") -> float:
    at = datetime.now(UTC)
    made = await client.post(
        f"/api/v1/recordings/{recording}/markers",
        json={"at": at.isoformat(), "kind": kind, "text": text},
    )
    assert made.status_code == 201, made.text
    return at.timestamp()


def decoded_numbers(data: bytes) -> list[int]:
    with av.open(io.BytesIO(data)) as container:
        return [
            read_frame_number(frame.to_ndarray(format="gray")[:NUMBER_ROWS])
            for frame in container.decode(video=0)
        ]


async def test_a_replay_leaves_out_the_off_record_period(server: RunningServer) -> None:
    camera = TimedCamera()
    async with server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        hearing = await create_hearing(admin, room.id)
        publisher = CameraPublisher(
            camera, f"{server.base_url}/whip/{room.id}/bench", server.admin_token
        )
        await publisher.start()
        try:
            started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
            assert started.status_code == 201, started.text
            recording = started.json()["id"]
            await asyncio.sleep(4)
            early = await admin.put(f"/api/v1/hearings/{hearing}/replay", json={"days": 7})
            assert early.status_code == 409, early.text  # not before it closes
            off_at = await mark(admin, recording, "off_record_start", "调解")
            await asyncio.sleep(OFF_RECORD_S)
            on_at = await mark(admin, recording, "off_record_end")
            await asyncio.sleep(4)
            closed = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
            assert closed.status_code == 200, closed.text
        finally:
            await publisher.close()
        staff_playlist = await admin.get(
            f"/api/v1/recordings/{recording}/cameras/bench/playlist.m3u8"
        )
        published = await admin.put(f"/api/v1/hearings/{hearing}/replay", json={"days": 7})
    assert published.status_code == 200, published.text
    replay = published.json()
    assert replay["audience"] == "public" and replay["cameras"] == ["bench"]
    (cut,) = replay["cuts"]
    assert cut["reason"] == "调解"
    assert OFF_RECORD_S <= cut["removed_s"] <= OFF_RECORD_S + 2 * 2.5, cut  # whole segments

    base = f"{server.base_url}/replay/{hearing}/bench/"
    async with httpx.AsyncClient(timeout=30) as phone:  # no token, no code: a public replay
        info = await phone.get(f"{server.base_url}/api/v1/public/hearings/{hearing}/replay")
        assert info.status_code == 200 and info.json()["cuts"] == replay["cuts"]
        track = await fetch_track(phone, base + "playlist.m3u8")
        assert (
            "#EXT-X-PLAYLIST-TYPE:VOD" in track.playlist
            and "#EXT-X-DISCONTINUITY" in track.playlist
        )
        # every archived segment the replay left out is refused by name too
        archived = set(re.findall(r"^segments/(seg-\d+\.m4s)", staff_playlist.text, re.M))
        listed = set(re.findall(rf"^segments/{recording}/(seg-\d+\.m4s)", track.playlist, re.M))
        left_out = sorted(archived - listed)
        assert left_out, "the cut removed segments"
        refused = await phone.get(f"{base}segments/{recording}/{left_out[0]}")
        assert refused.status_code == 404, refused.text

    numbers = [n for epoch in track.epochs for n in decoded_numbers(epoch.file())]
    sent = dict(enumerate(camera.sent_at))
    during = {n for n, at in sent.items() if off_at + 0.2 <= at <= on_at - 0.2}
    assert during and not during & set(numbers), "a frame sent off the record was replayed"
    before = {n for n, at in sent.items() if at < off_at - 2.5}
    after = {n for n, at in sent.items() if on_at + 2.5 < at < on_at + 3.5}
    assert before & set(numbers) and after <= set(numbers)

    async with server.client() as admin:
        gone = await admin.delete(f"/api/v1/hearings/{hearing}/replay")
        assert gone.status_code == 204, gone.text
    async with httpx.AsyncClient(timeout=30) as phone:
        withdrawn = await phone.get(base + "playlist.m3u8")
        assert (withdrawn.status_code, withdrawn.json()) == (
            404,
            {"detail": "this hearing has no replay"},
        )
