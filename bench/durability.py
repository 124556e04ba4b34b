"""Durability benchmark: footage lost on kill -9, recovery time, and what the fsyncs cost.

Run: `.venv/bin/python -m bench.durability --runs 5`

Each run records one camera (a 640x360 H.264 + Opus clip sent over WHIP from this process),
kills the server with SIGKILL at a random moment, restarts it on the same data directory and
reads the crash gap from the recording: the seconds between the kill and the end of the last
frame that survived are the loss. Recovery time is from the restart until the server answers
/healthz and the recovered footage is indexed. The fsync part writes 0.4 s fragments of a
2.5 Mbit/s stream to the spool with and without fsync in the same process and prints both.
Nothing here asserts: it only prints.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from recorder.spool import TrackSpool
from storage.archive import OpeningRecord
from tests.support.clips import make_clip
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer, running_server

GOAL_LOSS_S = 0.5
FRAGMENT_S = 0.4  # the default COURTCAST_FRAGMENT_SECONDS
FRAGMENT_BYTES = round(2_500_000 / 8 * FRAGMENT_S)  # one fragment of a 2.5 Mbit/s camera
FSYNC_FRAGMENTS = 200


async def one_crash(clip: Path, data_dir: Path, rng: random.Random) -> tuple[float, float, float]:
    """Seconds lost before the kill; from restart until healthy; until the footage is indexed."""
    with running_server(data_dir) as server:
        async with server.client() as client:
            recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(4 + rng.random() * 2)
        killed_at = time.time()
        server.stop(signal.SIGKILL)
        await publisher.close(hang_up=False)
        restarted = time.monotonic()
        server.start()
        healthy_s = time.monotonic() - restarted
        recovered_s = await _until_gap_indexed(server, recording.id) - restarted
        async with server.client() as client:
            stopped = (await client.post(f"/api/v1/recordings/{recording.id}/stop")).json()
    gap = next(g for g in stopped["gaps"] if g["reason"] == "crash")
    lost = killed_at - datetime.fromisoformat(gap["started_at"]).timestamp()
    return lost, healthy_s, recovered_s


async def _until_gap_indexed(server: RunningServer, recording_id: str) -> float:
    async with server.client() as client:
        while True:
            body = (await client.get(f"/api/v1/recordings/{recording_id}")).json()
            if body["gaps"] and body["tracks"][0]["segments"] > 0:
                return time.monotonic()
            await asyncio.sleep(0.02)


def _opening(sequence: int) -> OpeningRecord:
    """An opening note of the recorder's size (its content does not matter here)."""
    key = f"court/room/2026/01/01/rec/bench/seg-{sequence:08d}.m4s"
    return OpeningRecord(
        "rec", "bench", 1, sequence, key, "m4s", (1, 90_000), datetime.now(UTC), False
    )


def fsync_cost(directory: Path) -> tuple[float, float]:
    """Mean milliseconds to write one fragment, with and without fsync."""
    data = bytes(FRAGMENT_BYTES)
    results = []
    for fsync in (True, False):
        spool = TrackSpool(directory / f"fsync-{fsync}", fsync=fsync)
        started = time.perf_counter()
        for n in range(FSYNC_FRAGMENTS):
            if n % 4 == 0:
                if n:
                    spool.finish_segment(f"seg-{n // 4:08d}.m4s")
                spool.begin_segment(f"seg-{n // 4 + 1:08d}.m4s", _opening(n // 4 + 1))
            spool.append_fragment(f"seg-{n // 4 + 1:08d}.m4s", data)
        spool.close()
        results.append((time.perf_counter() - started) / FSYNC_FRAGMENTS * 1000)
    return results[0], results[1]


async def main_async(runs: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="courtcast-durability-") as temp:
        base = Path(temp)
        clip = make_clip(base / "clip.ts", seconds=20, width=640, height=360, fps=30, gop=60)
        losses, recoveries = [], []
        for run in range(runs):
            lost, healthy, recovered = await one_crash(clip, base / f"run-{run}", rng)
            losses.append(lost)
            recoveries.append(recovered)
            print(
                f"run {run + 1}: lost {lost:.3f} s before the kill; healthy after {healthy:.2f} s,"
                f" recovered footage indexed after {recovered:.2f} s"
            )
        with_fsync, without = fsync_cost(base)
    print()
    print(
        f"seconds lost on kill -9, median of {runs}: {statistics.median(losses):.3f} s "
        f"(max {max(losses):.3f} s; goal <= {GOAL_LOSS_S} s: "
        f"{'met' if max(losses) <= GOAL_LOSS_S else 'NOT met'})"
    )
    print(
        f"recovery after restart (healthy and recovered footage indexed), median: "
        f"{statistics.median(recoveries):.2f} s"
    )
    print(
        f"spool write of one {FRAGMENT_S} s fragment ({FRAGMENT_BYTES} bytes): "
        f"{with_fsync:.2f} ms with fsync, {without:.2f} ms without "
        f"(ratio {with_fsync / without:.1f}; "
        f"{with_fsync / (FRAGMENT_S * 1000) * 100:.2f} % of the fragment's duration)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
