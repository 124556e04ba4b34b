"""A recording still going, reloaded as a player does: the archive playlist's time per reload.

    .venv/bin/python -m bench.growing_playlist [--hours 4] [--reloads 40]

hls.js reloads an EVENT playlist without EXT-X-ENDLIST every target duration (2 s) for as
long as a reviewer has it open, so a judge looking back in a hearing still going asks for
the whole playlist every 2 s. A real server (embedded SQLite) holds a running recording of
one camera with `--hours` of 2 s segments indexed; the bench then indexes one segment more
(through the catalog, as the uploader does), reloads the playlist, and checks it lists every
segment, `--reloads` times. It prints each reload's time and the server's CPU time per
reload beside two baselines from the same run: the first request, which renders every
segment (what each reload cost before entries were kept), and the same reloads of a
10-minute recording (300 segments).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from bench.search import percentile
from bench.seek import (
    CAMERA,
    SEGMENT_S,
    Archive,
    cpu_ms,
    fmp4_pair,
    report,
    seed_recording,
    store_of,
)
from storage.archive import SegmentRecord
from storage.catalog import add_segment, track_prefix
from storage.db import Database, sqlite_url
from storage.models import Recording
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import running_server


async def index_next_segment(db: Database, archive: Archive) -> None:
    """One more 2 s segment of the running recording, indexed as the uploader indexes it."""
    async with db.session() as session, session.begin():
        recording = await session.get(Recording, archive.recording_id)
        assert recording is not None
        sequence = archive.segments
        key = track_prefix(recording, CAMERA).segment_key(sequence)
        started = archive.started_at + timedelta(seconds=sequence * SEGMENT_S)
        await add_segment(
            session,
            SegmentRecord(
                recording.id, CAMERA, 0, sequence, key, "m4s", started, SEGMENT_S, 1,
                "0" * 64, round(SEGMENT_S * 30), discontinuity=False,
            ),
        )  # fmt: skip
    archive.segments += 1


async def reload_once(client: httpx.AsyncClient, archive: Archive) -> float:
    """Milliseconds to GET the playlist, which must list every segment indexed so far."""
    started = time.perf_counter()
    response = await client.get(
        f"/api/v1/recordings/{archive.recording_id}/cameras/{CAMERA}/playlist.m3u8"
    )
    response.raise_for_status()
    elapsed = (time.perf_counter() - started) * 1000
    listed = response.text.count("#EXTINF:")
    assert listed == archive.segments, f"{listed} listed of {archive.segments} indexed"
    assert "#EXT-X-ENDLIST" not in response.text, "a recording still going has no end"
    return elapsed


async def measure(
    base_url: str, token: str, db: Database, archive: Archive, reloads: int, server: psutil.Process
) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        first = await reload_once(client, archive)
        times, cpu = [], 0.0
        for _ in range(reloads):
            await index_next_segment(db, archive)
            before = cpu_ms(server)
            times.append(await reload_once(client, archive))
            cpu += cpu_ms(server) - before
    return {
        "reload, one new segment": times,
        "server CPU per reload": [cpu / reloads],
        "first request, uncached": [first],
    }


async def run(hours: float, reloads: int) -> None:
    with tempfile.TemporaryDirectory(prefix="courtcast-growing-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with running_server(data) as server:
            async with server.client() as client:
                room = await create_courtroom(client, [CAMERA])
                hearings = [await create_hearing(client, room.id) for _ in "ab"]
            db = Database(sqlite_url(server.data_dir / "index.sqlite3"))
            store = store_of(server.env, data)  # the local directory the server writes
            media = fmp4_pair()
            archives = [
                await seed_recording(
                    db, store, hearing_id=hearing, segments=segments, points=0, media=media,
                    rng=random.Random(15), running=True,
                )
                for hearing, segments in zip(hearings, (round(hours * 1800), 300), strict=True)
            ]  # fmt: skip
            assert server.process is not None
            process = psutil.Process(server.process.pid)
            long, short = [
                await measure(server.base_url, server.admin_token, db, archive, reloads, process)
                for archive in archives
            ]
            await db.close()
            await store.close()
    report(f"{hours:g} h recording still going ({archives[0].segments:,} segments)", long)
    report(f"baseline: 10 min recording still going ({archives[1].segments} segments)", short)
    reload = statistics.median(long["reload, one new segment"])
    print(
        f"\nreload p50 {reload:.1f} ms, p95 {percentile(long['reload, one new segment'], 0.95):.1f}"
        f" ms at {hours:g} h; ratio to rendering every segment "
        f"{reload / long['first request, uncached'][0]:.2f}, to the 10-minute recording's "
        f"reload {reload / statistics.median(short['reload, one new segment']):.2f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--reloads", type=int, default=40)
    args = parser.parse_args(argv)
    asyncio.run(run(args.hours, args.reloads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
