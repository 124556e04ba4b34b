"""LL-HLS latency: how long after a frame is sent a player can have it, parts against segments.

Run: `.venv/bin/python -m bench.ll_hls --seconds 40`

One camera (a 320x240 clip with frame numbers drawn) is published over WHIP from this
process; the time each frame is handed to the sender is noted by its number. A player
follows the live playlist as hls.js does in low-latency mode: blocking reloads
(`_HLS_msn`/`_HLS_part`) and the newest part fetched as soon as it is listed. For every part
the newest frame it decodes (init + the segment's parts so far) is read back, and its age
is the arrival time minus the time that frame was sent. At the same moments, the age of
the newest frame of the newest whole segment listed is the baseline: what a player of
segments only can have at best (the stored playlist adds the upload on top). These are
delivery figures: a player adds its hold-back to either (hls.js: PART-HOLD-BACK, 1.2 s,
behind the parts; three target durations behind the segments) and its decode and display.
Nothing here asserts: it only prints.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
from av.frame import Frame

from tests.support.clips import make_clip, read_frame_number
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import running_server

FPS = 30
HINT = re.compile(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ll/(\d+)\.(\d+)\.m4s"')
PART = re.compile(r'#EXT-X-PART:DURATION=[\d.]+,URI="ll/(\d+)\.(\d+)\.m4s"')
SEGMENT = re.compile(r"^ll/(\d+)\.m4s$", re.M)


def newest_frame(data: bytes) -> int:
    with av.open(io.BytesIO(data), "r") as container:
        numbers = [
            read_frame_number(f.to_ndarray(format="gray")[:40]) for f in container.decode(video=0)
        ]
    return max(numbers)


def stamp_sends(publisher: WhipPublisher, sent: dict[int, float], origin: float) -> None:
    """Note when each video packet is handed to the sender, by its frame number."""
    track = publisher.video_track
    receive = track.recv

    async def recv() -> Frame | av.Packet:
        packet = await receive()
        if packet.pts is not None and packet.time_base is not None:
            seconds = float(packet.pts * packet.time_base) - origin
            sent.setdefault(round(seconds * FPS), time.time())
        return packet

    track.recv = recv  # type: ignore[method-assign]  # a bench wraps the instance, no subclass


def clip_origin(clip: Path) -> float:
    with av.open(str(clip)) as container:
        packet = next(container.demux(video=0))
        assert packet.pts is not None and packet.time_base is not None
        return float(packet.pts * packet.time_base)


async def follow(base: str, seconds: float, sent: dict[int, float]) -> tuple[list[float], ...]:
    parts_late: list[float] = []
    segments_late: list[float] = []
    url = base + "playlist.m3u8"
    async with httpx.AsyncClient(timeout=30) as player:
        text = ""
        while "#EXT-X-PRELOAD-HINT" not in text:
            text = (await player.get(url)).text
            await asyncio.sleep(0.2)
        init_name = re.findall(r'#EXT-X-MAP:URI="ll/([^"]+)"', text)[-1]
        init = (await player.get(base + f"ll/{init_name}")).content
        hint = HINT.search(text)
        assert hint is not None
        msn, part = int(hint[1]), int(hint[2])
        have: dict[tuple[int, int], bytes] = {}
        last_segment = max((int(m) for m in SEGMENT.findall(text)), default=-1)
        segment_newest: int | None = None  # newest frame of the newest whole segment
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            reply = await player.get(url, params={"_HLS_msn": msn, "_HLS_part": part})
            for m in (int(m) for m in SEGMENT.findall(reply.text)):
                if m > last_segment:
                    last_segment = m
                    data = (await player.get(base + f"ll/{m}.m4s")).content
                    segment_newest = newest_frame(init + data)
            for m, p in ((int(m), int(p)) for m, p in PART.findall(reply.text)):
                if (m, p) not in have and m >= msn:
                    have[(m, p)] = (await player.get(base + f"ll/{m}.{p}.m4s")).content
                    now = time.time()
                    run = b"".join(d for (mm, _), d in sorted(have.items()) if mm == m)
                    parts_late.append(now - sent[newest_frame(init + run)])
                    if segment_newest is not None:
                        segments_late.append(now - sent[segment_newest])
            hint = HINT.search(reply.text)
            if hint is None:
                break
            msn, part = int(hint[1]), int(hint[2])
    return parts_late, segments_late


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def report(
    parts_label: str, parts: list[float], segments_label: str, segments: list[float]
) -> None:
    """p50/p95 of both, and how many times the segments' median is the parts'."""
    (p50, p95), (s50, s95) = quantiles(parts), quantiles(segments)
    print(f"{parts_label} ({len(parts)}): p50 {p50:.2f} s  p95 {p95:.2f} s")
    print(f"{segments_label} ({len(segments)}): p50 {s50:.2f} s  p95 {s95:.2f} s")
    print(f"ratio segments/parts (p50): {s50 / p50:.1f}x")


@dataclass(frozen=True, slots=True)
class NumberedCamera:
    server_url: str
    live_path: str  # /live/<hearing>/bench/
    sent: dict[int, float]  # frame number -> when it was handed to the sender


@asynccontextmanager
async def numbered_camera(seconds: float, fragment_s: float) -> AsyncIterator[NumberedCamera]:
    """A server recording one camera (parts of `fragment_s`) that sends a numbered clip."""
    with tempfile.TemporaryDirectory() as scratch:
        clip = make_clip(Path(scratch) / "numbered.ts", seconds=seconds, width=320, height=240)
        fragments = {"COURTCAST_FRAGMENT_SECONDS": str(fragment_s)}
        with running_server(Path(scratch) / "data", fragments) as server:
            async with server.client() as client:
                recording = await start_recording(client)
            publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
            sent: dict[int, float] = {}
            await publisher.start()
            stamp_sends(publisher, sent, clip_origin(clip))
            try:
                yield NumberedCamera(server.base_url, f"/live/{recording.hearing_id}/bench/", sent)
            finally:
                await publisher.close()


async def main(seconds: float, fragment_s: float) -> None:
    async with numbered_camera(seconds + 20, fragment_s) as camera:
        base = camera.server_url + camera.live_path
        parts_late, segments_late = await follow(base, seconds, camera.sent)
    report("parts   ", parts_late, "segments", segments_late)


def run(
    main: Callable[[float, float], Coroutine[None, None, None]], doc: str, seconds: float
) -> None:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--fragment-seconds", type=float, default=0.4, help="the part size")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.fragment_seconds))


if __name__ == "__main__":
    run(main, __doc__, 40.0)
