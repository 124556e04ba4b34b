"""A public replay of a 4-hour hearing, asked for again and again: its playlist and terms.

    .venv/bin/python -m bench.replay_playlist [--hours 4] [--requests 40]

A replay is watched without a token, so anyone can ask for its playlist and its terms (the
cameras and the off-record cuts) as often as they like. A real server (embedded SQLite) holds
a closed public hearing with one stopped recording of one camera, `--hours` of 2 s segments
indexed, published for replay; the bench asks for the playlist and the terms `--requests`
times each, checks the playlist lists every segment, and prints the time per request and the
server's CPU time per request. The first request of each is printed apart (where replays
are kept, publishing has rendered it already), and the same requests for a 10-minute hearing
in the same run are the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from bench.seek import CAMERA, cpu_ms, fmp4_pair, report, seed_recording, store_of
from storage.db import Database, sqlite_url
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import running_server

ROUTES = {
    "playlist": "/replay/{hearing}/" + CAMERA + "/playlist.m3u8",
    "terms (JSON)": "/api/v1/public/hearings/{hearing}/replay",
}


async def measure(
    base_url: str, hearing: str, segments: int, requests: int, server: psutil.Process
) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as anyone:  # no token
        for name, route in ROUTES.items():
            times, cpu = [], 0.0
            for _ in range(requests + 1):
                before, started = cpu_ms(server), time.perf_counter()
                response = await anyone.get(route.format(hearing=hearing))
                response.raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                cpu += cpu_ms(server) - before
                if name == "playlist":
                    assert response.text.count("#EXTINF:") == segments, "lists every segment"
            figures[f"{name}, first"] = times[:1]
            figures[name] = times[1:]
            figures[f"{name}, server CPU"] = [cpu / (requests + 1)]
    return figures


async def run(hours: float, requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="courtcast-replay-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with running_server(data) as server:
            async with server.client() as admin:
                room = await create_courtroom(admin, [CAMERA])
                hearings = [await create_hearing(admin, room.id) for _ in "ab"]
            db = Database(sqlite_url(server.data_dir / "index.sqlite3"))
            store = store_of(server.env, data)
            media = fmp4_pair()
            lengths = (round(hours * 1800), 300)
            for hearing, segments in zip(hearings, lengths, strict=True):
                await seed_recording(
                    db, store, hearing_id=hearing, segments=segments, points=0, media=media,
                    rng=random.Random(15),
                )  # fmt: skip
            await db.close()
            await store.close()
            async with server.client() as admin:
                for hearing in hearings:
                    closed = await admin.patch(
                        f"/api/v1/hearings/{hearing}", json={"status": "closed"}
                    )
                    closed.raise_for_status()
                    published = await admin.put(
                        f"/api/v1/hearings/{hearing}/replay", json={"days": 7}
                    )
                    published.raise_for_status()
            assert server.process is not None
            process = psutil.Process(server.process.pid)
            long, short = [
                await measure(server.base_url, hearing, segments, requests, process)
                for hearing, segments in zip(hearings, lengths, strict=True)
            ]
    report(f"{hours:g} h hearing ({lengths[0]:,} segments), {requests} requests each", long)
    report(f"baseline: 10 min hearing ({lengths[1]} segments)", short)
    for name in ROUTES:
        p50 = statistics.median(long[name])
        print(
            f"{name}: p50 {p50:.1f} ms at {hours:g} h, ratio to the 10-minute hearing "
            f"{p50 / statistics.median(short[name]):.2f}; server CPU "
            f"{long[f'{name}, server CPU'][0]:.1f} ms per request"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    asyncio.run(run(args.hours, args.requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
