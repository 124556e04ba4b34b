"""A 48 MB body from anyone is refused at once, and the cameras being recorded never notice.

An anonymous client posts 48 MB of JSON over and over, once declaring its
length and once chunked without one, while a real aiortc camera is recorded.
Each attack must get 413 with a JSON detail in under a second, `/healthz` must
keep answering, and the archive must hold the camera's frames of the attack
window at its frame rate.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import httpx
import pytest

from tests.support.archive import ArchivedTrack, fetch_track
from tests.support.clips import make_clip
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30
ATTACK_S = 6.0
BIG = 48 * 1024 * 1024
BODY = b'{"name": "' + b"x" * BIG + b'", "cameras": ["bench"]}'


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "camera.ts"
    make_clip(path, seconds=20, width=640, height=360, fps=FPS, gop=30)
    return path


@dataclass
class Refusal:
    how: str
    status: int
    detail: object
    seconds: float


def chunked(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body as a generator, so httpx sends it chunked, without a Content-Length."""
    view = memoryview(body)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def attack(base_url: str, until: float, refusals: list[Refusal]) -> None:
    """Post the 48 MB body again and again until `until` (runs in a thread: its own loop)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while time.monotonic() < until:
            for how in ("content-length", "chunked"):
                content = BODY if how == "content-length" else chunked(BODY)
                began = time.monotonic()
                response = client.post(
                    "/api/v1/courtrooms",
                    content=content,
                    headers={"Content-Type": "application/json"},
                )
                seconds = time.monotonic() - began
                detail = response.json().get("detail") if response.content else None
                refusals.append(Refusal(how, response.status_code, detail, seconds))


def frames_between(track: ArchivedTrack, start: datetime, end: datetime) -> int:
    """Recorded video frames whose wall-clock time (segment start + offset) is in [start, end)."""
    starts = [
        datetime.fromisoformat(line.split(":", 1)[1])
        for line in track.playlist.splitlines()
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")
    ]
    segments = [(epoch.init, segment) for epoch in track.epochs for segment in epoch.segments]
    assert len(starts) == len(segments), track.playlist
    count = 0
    for segment_start, (init, segment) in zip(starts, segments, strict=True):
        with av.open(io.BytesIO(init + segment), mode="r") as container:
            times = [
                float(packet.pts * packet.time_base)
                for packet in container.demux(video=0)
                if packet.size and packet.pts is not None
            ]
        first = min(times, default=0.0)
        count += sum(start <= segment_start + timedelta(seconds=t - first) < end for t in times)
    return count


async def test_a_48_mb_body_is_refused_at_once_while_a_camera_keeps_recording(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client, ["bench"])
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        try:
            await asyncio.sleep(3)  # connected, first keyframe recorded
            refusals: list[Refusal] = []
            health: list[int] = []
            attack_start = datetime.now(UTC)
            until = time.monotonic() + ATTACK_S
            attacker = threading.Thread(target=attack, args=(server.base_url, until, refusals))
            attacker.start()
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as anyone:
                while attacker.is_alive():
                    health.append((await anyone.get("/healthz")).status_code)
                    await asyncio.sleep(0.2)
            attacker.join()
            attack_end = datetime.now(UTC)
            await asyncio.sleep(3)  # the attack window's segments are stored
            stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
            assert stop.status_code == 200, stop.text
        finally:
            await publisher.close()
        bench = next(t for t in stop.json()["tracks"] if t["camera"] == "bench")
        archived = await fetch_track(client, bench["playlist"])

    assert {r.how for r in refusals} == {"content-length", "chunked"}
    for refusal in refusals:
        assert refusal.status == 413, refusal
        assert isinstance(refusal.detail, str) and re.search(r"over \d+ bytes", refusal.detail)
        assert refusal.seconds < 1.0, refusal
    assert len(health) >= ATTACK_S / 0.5 and set(health) == {200}, health
    window_s = (attack_end - attack_start).total_seconds()
    recorded = frames_between(archived, attack_start, attack_end)
    assert recorded >= 0.9 * window_s * FPS, (recorded, window_s)
    assert recorded <= 1.05 * window_s * FPS + 2, (recorded, window_s)
