"""What indexing one stored segment costs the server, beside the fenced commit it cannot avoid.

    .venv/bin/python -m bench.segment_index [--cameras 8] [--segments 150] [--database postgresql]

Every camera's segment (2 s) is indexed once the store confirmed it: the uploader calls
`court.archiving.Archive.index`, which proves the node still holds the courtroom's lease
(the fence) and writes the segment's row, in one transaction. With 8 cameras that is four
rows a second, each paid for on the event loop and the index's thread. The bench indexes
`--segments` segments of each of `--cameras` running recordings, each under its lease, on
an embedded SQLite file (or a PostgreSQL 15 of its own on loopback), and prints the CPU time
(every thread of this process) per indexed segment beside a baseline from the same run: a
transaction that only checks the same fence and commits, the floor of any fenced write.
On PostgreSQL the figures are this process's side only; the database's own CPU is not in them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from prometheus_client import CollectorRegistry

from bench.search import index_url
from court.archiving import Archive
from court.monitoring.metrics import Timings
from storage.db import Database
from storage.leases import Fence, acquire, check_fence
from storage.models import Recording
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import init, segment

NODE = "bench-node"
SEGMENT_S = 2.0


async def leased_recordings(db: Database, cameras: int) -> dict[str, Fence]:
    """One running recording per camera, its courtroom leased to this node: its fence."""
    fences: dict[str, Fence] = {}
    for number in range(cameras):
        recording = await recording_in(db, f"{number + 1}")
        lease = await acquire(db, recording.courtroom_id, NODE, ttl_s=3600)
        assert lease is not None, "a fresh courtroom is free"
        fences[recording.id] = Fence(recording.courtroom_id, NODE, lease.fence)
    return fences


async def fenced_commits(db: Database, fences: dict[str, Fence], rounds: int) -> float:
    """CPU seconds per transaction that checks a fence and commits, writing nothing."""
    started = time.process_time()
    for _ in range(rounds):
        for fence in fences.values():
            async with db.session() as session:
                await check_fence(session, fence)
                await session.commit()
    return (time.process_time() - started) / (rounds * len(fences))


async def indexed_segments(
    db: Database, fences: dict[str, Fence], recordings: list[Recording], rounds: int
) -> float:
    """CPU seconds per segment indexed as the uploader indexes it."""
    archive = Archive(db, Timings(CollectorRegistry()), fence_for={
        fence.courtroom_id: fence for fence in fences.values()
    }.get)  # fmt: skip
    for recording in recordings:
        archive.follow(recording.id, recording.courtroom_id)
        await archive.index(init(recording, "bench", 1))
    started = time.process_time()
    for sequence in range(1, rounds + 1):
        for recording in recordings:
            record = segment(recording, "bench", 1, sequence)
            await archive.index(replace(record, discontinuity=False))
    return (time.process_time() - started) / (rounds * len(recordings))


async def run(cameras: int, rounds: int, url: str) -> None:
    db = Database(url)
    await db.migrate()
    try:
        fences = await leased_recordings(db, cameras)
        async with db.session() as session:
            recordings = [await session.get(Recording, rid) for rid in fences]
        floor = await fenced_commits(db, fences, rounds)
        per_segment = await indexed_segments(
            db, fences, [r for r in recordings if r is not None], rounds
        )
    finally:
        await db.close()
    share = per_segment / SEGMENT_S * 100
    print(f"index: {db.engine.dialect.name}, {cameras} cameras x {rounds} segments")
    print(f"  fenced commit alone (baseline): {floor * 1e3:.3f} ms CPU")
    print(f"  segment indexed:                {per_segment * 1e3:.3f} ms CPU")
    print(f"  ratio to the baseline:          {per_segment / floor:.2f}")
    print(f"  per camera (one 2 s segment):   {share:.3f} % of a core")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--segments", type=int, default=150)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-index-") as scratch,
        index_url(args.database, Path(scratch)) as url,
    ):
        asyncio.run(run(args.cameras, args.segments, url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
