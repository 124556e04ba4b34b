"""The event loop while a long recording is sealed: how late the cameras' loop gets its turns.

    .venv/bin/python -m bench.seal_stall [--hours 4] [--cameras 4] [--runs 3]

Stopping a recording writes its signed manifest (court/sealing.py), which lists every stored
object of every camera. It runs on the event loop that carries every camera of the node, and
a loop that does not read its sockets for about 0.6 s lets a 2.6 Mbit/s camera overflow the
default 208 KB UDP receive buffer: packets of other courtrooms' cameras are lost. In one
process, an embedded SQLite index holds a stopped recording of `--cameras` cameras with
`--hours` of 2 s segments each (bulk insert); a ticker asks the loop for a turn every
millisecond while `seal_recording` runs, and then while the seal is read back and checked
(`signed_recording`, what every export and package does first), and notes how late each turn
came. The baseline is the same ticker over an idle loop for as long as the seal, in the same
run. Prints each phase's time, the ticker's p99 and worst lateness, and their ratio to the
idle baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from court.sealing import seal_recording
from recorder.evidence_sources import signed_recording
from storage.db import Database, sqlite_url
from storage.keyring import KeyRing
from storage.local import LocalObjectStore
from storage.models import Recording, Segment, Track
from tests.storage.test_leases import recording_in

SEGMENT_S = 2.0
TICK_S = 0.001
STARTED = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


async def seeded(db: Database, *, hours: float, cameras: int) -> str:
    """A stopped recording's id, its cameras' segments indexed straight through the models."""
    recording = await recording_in(db, "第一法庭", status="stopped")
    segments = round(hours * 3600 / SEGMENT_S)
    prefix = f"{recording.court_id}/{recording.courtroom_id}/2026/12/04/{recording.id}"
    async with db.session() as session, session.begin():
        for camera in range(cameras):
            track = Track(recording_id=recording.id, camera=f"cam-{camera}")
            session.add(track)
            await session.flush()
            rows = [
                {
                    "track_id": track.id, "sequence": sequence, "epoch": 1,
                    "object_key": f"{prefix}/cam-{camera}/seg-{sequence:08d}.m4s",
                    "extension": "m4s", "started_at": STARTED + timedelta(seconds=2 * sequence),
                    "duration_s": SEGMENT_S, "size": 650_000, "sha256": f"{sequence:064x}",
                    "frames": 60, "discontinuity": False,
                }
                for sequence in range(1, segments + 1)
            ]  # fmt: skip
            await session.execute(insert(Segment), rows)
    return recording.id


async def lateness_while(work: Awaitable[object]) -> tuple[float, list[float]]:
    """(seconds `work` took, how late each of the ticker's turns came in ms)."""
    task = asyncio.ensure_future(work)
    started = time.perf_counter()
    late: list[float] = []
    while not task.done():
        asked = time.perf_counter()
        await asyncio.sleep(TICK_S)
        late.append((time.perf_counter() - asked - TICK_S) * 1000)
    await task
    return time.perf_counter() - started, late


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99)]


Phase = tuple[float, list[float]]  # (seconds it took, the ticker's lateness in ms)


async def one_run(directory: Path, hours: float, cameras: int) -> dict[str, Phase]:
    """Seal, read the seal back as an export or a package does first, then idle as long."""
    db = Database(sqlite_url(directory / "index.sqlite3"))
    try:
        await db.migrate()
        recording_id = await seeded(db, hours=hours, cameras=cameras)
        keyring = KeyRing.create(directory / "keys")
        store = LocalObjectStore(directory / "objects")
        gc.collect()
        phases = {
            "seal": await lateness_while(
                seal_recording(db=db, store=store, keyring=keyring, recording_id=recording_id)
            )
        }
        async with db.session() as session:
            recording = await session.get(Recording, recording_id)
        assert recording is not None
        phases["read back"] = await lateness_while(
            signed_recording(store, keyring.public_keys, recording)
        )
        phases["idle"] = await lateness_while(asyncio.sleep(phases["seal"][0]))
        return phases
    finally:
        await db.close()


async def main_async(hours: float, cameras: int, runs: int) -> None:
    print(f"sealing a {hours:g} h recording of {cameras} cameras "
          f"({round(hours * 1800):,} segments each), {runs} runs")  # fmt: skip
    print(f"{'run':>4} {'phase':>10} {'took s':>7} {'p99 ms':>8} {'worst ms':>9}")
    worst: dict[str, list[float]] = {}
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="courtcast-seal-") as tmp:
            phases = await one_run(Path(tmp), hours, cameras)
        for phase, (took, late) in phases.items():
            worst.setdefault(phase, []).append(max(late))
            print(f"{run:>4} {phase:>10} {took:>7.2f} {p99(late):>8.1f} {max(late):>9.1f}")
    idle = statistics.median(worst.pop("idle"))
    for phase, values in worst.items():
        print(
            f"the loop's longest wait, {phase}: median {statistics.median(values):.1f} ms, "
            f"{statistics.median(values) / idle:.1f}x the idle loop's ({idle:.1f} ms)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.hours, args.cameras, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
