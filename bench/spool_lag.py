"""Spool lag benchmark: how late the event loop runs while cameras record, spool on or off it.

Run: `.venv/bin/python -m bench.spool_lag --cameras 8 --seconds 8 --runs 3`

N cameras record the same 640x360 H.264 + Opus clip through `TrackRecorder` into a real
spool (temporary directory, real fsync), fed at the clip's own pace, while a ticker asks the
loop for a turn every 5 ms and notes how late each turn comes. Two ways of spooling run in
the same process, one after the other, each on this disk and on a slow disk (every fsync
made `--slow-ms` longer, as a busy or network disk is):

- on the loop: every spool job and what follows it run inline on the event loop (how the
  recorder spooled before recorder/spool_writer.py), and
- off the loop: `SpoolWriter`, one thread per camera.

Prints the median over runs of the ticker's p99 and worst lateness, and the ratio off/on.
Absolute figures drift on shared machines: compare the ratio. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from recorder.session import TrackRecorder
from recorder.spool import TrackSpool
from recorder.spool_writer import Job, SpoolWriter
from storage.keys import TrackPrefix
from streaming.frames import EncodedFrame
from tests.support.clips import make_clip
from tests.support.encoded import read_clip

TICK_S = 0.005


class OnTheLoop(SpoolWriter):
    """The spool as it ran before: each job, then its effect, inline on the event loop."""

    def submit(self, job: Job) -> None:
        job()()

    async def close(self) -> None:
        self.spool.close()
        await super().close()


def slow_fsync(extra_s: float) -> Callable[[int], None]:
    def sync(descriptor: int) -> None:
        time.sleep(extra_s)
        os.fsync(descriptor)

    return sync


async def one_run(
    frames: list[EncodedFrame], directory: Path, cameras: int, on_loop: bool, extra_s: float
) -> tuple[float, float]:
    """(p99, worst) lateness of the ticker's turns, in ms."""
    writer_type = OnTheLoop if on_loop else SpoolWriter
    sync = slow_fsync(extra_s) if extra_s else os.fsync
    tracks = [
        TrackRecorder(
            recording_id="bench",
            camera=f"cam-{n}",
            prefix=TrackPrefix("court", "room", "bench", f"cam-{n}", datetime.now(UTC)),
            writer=writer_type(TrackSpool(directory / f"cam-{n}", sync=sync), name=f"cam-{n}"),
            submit=lambda job: None,
            target_segment_s=2.0,
            fragment_s=0.4,
        )
        for n in range(cameras)
    ]
    started = time.monotonic()
    base = frames[0].wallclock

    async def feed(track: TrackRecorder) -> None:
        for frame in frames:
            wait = frame.wallclock - base - (time.monotonic() - started)
            if wait > 0:
                await asyncio.sleep(wait)
            track.write(frame)
            await track.room()
        await track.close()

    late: list[float] = []
    feeding = asyncio.gather(*(feed(track) for track in tracks))
    while not feeding.done():
        asked = time.monotonic()
        await asyncio.sleep(TICK_S)
        late.append((time.monotonic() - asked - TICK_S) * 1000)
    await feeding
    late.sort()
    return late[int(len(late) * 0.99)], late[-1]


async def main_async(cameras: int, seconds: float, runs: int, slow_ms: float) -> None:
    with tempfile.TemporaryDirectory(prefix="courtcast-spool-lag-") as temp:
        base = Path(temp)
        clip = make_clip(base / "clip.ts", seconds=seconds, width=640, height=360)
        frames = read_clip(clip)
        print(f"{cameras} cameras, {seconds:g} s of 640x360 H.264 + Opus each, {runs} runs")
        for extra_ms in (0.0, slow_ms):
            disk = f"fsync +{extra_ms:g} ms" if extra_ms else "this disk"
            figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for run in range(runs):
                for on_loop in (True, False):
                    directory = base / f"run-{extra_ms}-{run}-{on_loop}"
                    figures[on_loop].append(
                        await one_run(frames, directory, cameras, on_loop, extra_ms / 1000)
                    )
            p99 = {mode: statistics.median(f[0] for f in figures[mode]) for mode in figures}
            worst = {mode: statistics.median(f[1] for f in figures[mode]) for mode in figures}
            print(
                f"{disk}: loop lateness p99 {p99[True]:.1f} ms on the loop, {p99[False]:.1f} ms"
                f" off it (ratio {p99[False] / p99[True]:.2f}); worst {worst[True]:.1f} ms on,"
                f" {worst[False]:.1f} ms off (ratio {worst[False] / worst[True]:.2f})"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="clip length per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-ms", type=float, default=20.0, help="added to every fsync")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.cameras, args.seconds, args.runs, args.slow_ms))


if __name__ == "__main__":
    main()
