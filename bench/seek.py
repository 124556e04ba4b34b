"""Seek in a long recording: the time from "show me 02:13:40" to the first decodable frame.

    .venv/bin/python -m bench.seek [--hours 4] [--points 40] [--store local|rgw]
        [--database sqlite|postgresql]

A real server (embedded SQLite, or a throwaway PostgreSQL; RGW for presigned redirects) holds
a stopped recording whose camera has `--hours` of 2 s segments (7,200 for 4 hours) indexed
in the database, inserted straight through the models; a real fMP4 segment (and its init
segment) is stored under each key the bench fetches. For `--points` random points it times,
as the review page's player does: GET the playlist, find the segment holding the point (the
lookup hls.js does: cumulative durations, bisect), GET its init and media segment by the
signed links (following the presigned redirect on S3), and decode the first frame with PyAV.
The total is printed with and without the playlist (a seek in a recording the player has
open: hls.js keeps the playlist it loaded), beside the server's CPU time per seek. The first
seek (the warm-up, one sample) is printed apart: it renders the playlist (the bench indexes
the recording itself, so no stop stored its entries), which the server then keeps while the
stopped recording is unchanged (court/playback_cache.py) and stores in the index
(court/stored_playlists.py). The server is then restarted and one first seek timed again:
what every stopped recording's first seek costs after a restart or in another worker. The same
is done in the same run on a 10-minute recording (300 segments): the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import io
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import psutil  # type: ignore[import-untyped]
from sqlalchemy import insert

from bench.search import percentile, start_postgres
from storage.catalog import track_prefix
from storage.db import Database, sqlite_url
from storage.models import Courtroom, Hearing, InitSegment, Recording, Segment, Track
from storage.objects import ObjectStore
from storage.stores import open_object_store
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import fresh_postgres_database, running_server

SEGMENT_S = 2.0
CAMERA = "bench"
STEPS = ("playlist", "lookup", "init", "segment", "decode")


def fmp4_pair(seconds: float = SEGMENT_S, fps: int = 30) -> tuple[bytes, bytes]:
    """A real H.264 init segment (ftyp+moov) and one media segment (moof+mdat) of `seconds`."""
    buffer = io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(buffer, "w", format="mp4", options=options) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(round(seconds * fps))}
        for number in range(round(seconds * fps)):
            picture = np.full((360, 640, 3), number * 4 % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = number, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    data = buffer.getvalue()
    offset = 0
    while offset < len(data):  # the init segment ends where the first moof begins
        size = int.from_bytes(data[offset : offset + 4], "big")
        if data[offset + 4 : offset + 8] == b"moof":
            return data[:offset], data[offset:]
        offset += size
    raise ValueError("the muxer wrote no fragment")


@dataclass
class Archive:
    """One seeded recording: its id, start, length and the keys the points fall in."""

    recording_id: str
    started_at: datetime
    segments: int
    points_s: list[float] = field(default_factory=list)


async def seed_recording(
    db: Database,
    store: ObjectStore,
    *,
    hearing_id: str,
    segments: int,
    points: int,
    media: tuple[bytes, bytes],
    rng: random.Random,
    running: bool = False,
) -> Archive:
    """A stopped (or `running`) recording of one camera with `segments` indexed segments (bulk
    insert), and real objects under the init key and the keys of the segments `points` random
    points hit."""
    started = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    points_s = [rng.uniform(0, segments * SEGMENT_S) for _ in range(points)]
    async with db.session() as session:
        hearing = await session.get(Hearing, hearing_id)
        assert hearing is not None
        room = await session.get(Courtroom, hearing.courtroom_id)
        assert room is not None
        recording = Recording(
            hearing_id=hearing_id,
            courtroom_id=room.id,
            court_id=room.court_id,
            status="recording" if running else "stopped",
            started_at=started,
            stopped_at=None if running else started + timedelta(seconds=segments * SEGMENT_S),
        )
        session.add(recording)
        await session.flush()
        track = Track(recording_id=recording.id, camera=CAMERA)
        session.add(track)
        await session.flush()
        prefix = track_prefix(recording, CAMERA)
        init, segment = media
        stored = await store.put_bytes(prefix.init_key(0), init, content_type="video/mp4")
        session.add(
            InitSegment(
                track_id=track.id,
                epoch=0,
                object_key=stored.key,
                size=stored.size,
                sha256=stored.sha256,
                version_id=stored.version_id,
            )
        )
        fetched = {int(point // SEGMENT_S) for point in points_s}
        versions = {}
        for sequence in sorted(fetched):
            versions[sequence] = await store.put_bytes(
                prefix.segment_key(sequence), segment, content_type="video/iso.segment"
            )
        rows = [
            {
                "id": f"{track.id[:20]}{sequence:012d}",
                "track_id": track.id,
                "sequence": sequence,
                "epoch": 0,
                "object_key": prefix.segment_key(sequence),
                "extension": "m4s",
                "started_at": started + timedelta(seconds=sequence * SEGMENT_S),
                "duration_s": SEGMENT_S,
                "size": len(segment),
                "sha256": versions[sequence].sha256 if sequence in versions else "0" * 64,
                "frames": round(SEGMENT_S * 30),
                "discontinuity": False,
                "version_id": versions[sequence].version_id if sequence in versions else None,
            }
            for sequence in range(segments)
        ]
        await session.execute(insert(Segment), rows)
        await session.commit()
        return Archive(recording.id, started, segments, points_s)


def segment_at(playlist: str, point_s: float) -> tuple[str, str]:
    """(init URI, media URI) of the segment holding `point_s`: what hls.js does on a seek."""
    starts: list[float] = []
    uris: list[str] = []
    init = ""
    elapsed, duration = 0.0, 0.0
    for line in playlist.splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",", 1)[0])
        elif line.startswith("#EXT-X-MAP:"):
            init = line.split('URI="', 1)[1].split('"', 1)[0]
        elif line and not line.startswith("#"):
            starts.append(elapsed)
            uris.append(line)
            elapsed += duration
    index = max(0, bisect.bisect_right(starts, point_s) - 1)
    return init, uris[index]


async def fetch(client: httpx.AsyncClient, store: httpx.AsyncClient, base: str, uri: str) -> bytes:
    """A relative playlist URI, following the presigned redirect (S3) without our header."""
    response = await client.get(base + uri)
    if response.status_code == 307:
        response = await store.get(response.headers["location"])
    response.raise_for_status()
    return response.content


def first_frame(init: bytes, segment: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(init + segment), "r") as container:
        for frame in container.decode(video=0):
            return frame.width, frame.height
    raise ValueError("no frame decoded")


async def seek_once(
    client: httpx.AsyncClient, store: httpx.AsyncClient, archive: Archive, point_s: float
) -> dict[str, float]:
    times: dict[str, float] = {}
    base = f"/api/v1/recordings/{archive.recording_id}/cameras/{CAMERA}/"

    def lap(step: str, started: float) -> float:
        now = time.perf_counter()
        times[step] = (now - started) * 1000
        return now

    started = time.perf_counter()
    response = await client.get(base + "playlist.m3u8")
    response.raise_for_status()
    text = response.text
    mark = lap("playlist", started)
    init_uri, segment_uri = segment_at(text, point_s)
    mark = lap("lookup", mark)
    init = await fetch(client, store, base, init_uri)
    mark = lap("init", mark)
    segment = await fetch(client, store, base, segment_uri)
    mark = lap("segment", mark)
    first_frame(init, segment)
    lap("decode", mark)
    times["total"] = (time.perf_counter() - started) * 1000
    # hls.js keeps the playlist it loaded: a seek in a recording already open starts here
    times["total, playlist loaded"] = times["total"] - times["playlist"]
    assert text.count("#EXTINF:") == archive.segments, "the playlist lists every segment"
    return times


def cpu_ms(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system) * 1000


@asynccontextmanager
async def clients(base_url: str, token: str) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """The reviewer's client (with a token) and one for presigned URLs (with none of ours)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client,
        httpx.AsyncClient(timeout=30) as store,
    ):
        yield client, store


async def first_seek(base_url: str, token: str, archive: Archive) -> dict[str, float]:
    """One seek in a server that has served no playlist since it started, once the review
    page has opened the recording (as it does before the player asks for anything)."""
    async with clients(base_url, token) as (client, store):
        (await client.get(f"/api/v1/recordings/{archive.recording_id}")).raise_for_status()
        return await seek_once(client, store, archive, archive.points_s[-1])


async def measure(
    base_url: str, token: str, archive: Archive, server: psutil.Process
) -> dict[str, list[float]]:
    """Each step's times, and the server's CPU time per seek (less moved by other jobs)."""
    async with clients(base_url, token) as (client, store):
        # warm-up, and the one seek that renders the playlist: later ones find it in the
        # server's cache while the recording is unchanged, and a restarted server in the index
        first = await seek_once(client, store, archive, archive.points_s[0])
        cpu_before = cpu_ms(server)
        runs = [await seek_once(client, store, archive, point) for point in archive.points_s]
        cpu_per_seek = (cpu_ms(server) - cpu_before) / len(runs)
        opened = []
        for _ in range(5):
            started = time.perf_counter()
            response = await client.get(f"/api/v1/recordings/{archive.recording_id}")
            response.raise_for_status()
            opened.append((time.perf_counter() - started) * 1000)
    figures = {
        step: [run[step] for run in runs] for step in (*STEPS, "total", "total, playlist loaded")
    }
    figures["open (recording JSON)"] = opened
    figures["first playlist, uncached"] = [first["playlist"]]
    figures["first seek, uncached"] = [first["total"]]
    figures["server CPU per seek"] = [cpu_per_seek]
    return figures


def report(label: str, figures: dict[str, list[float]]) -> None:
    print(f"\n{label}\n{'step':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for step, values in figures.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{step:24} {p50:>8.1f} {p95:>8.1f} {max(values):>8.1f}")


async def prepare(server: Any, store: ObjectStore, hours: float, points: int) -> list[Archive]:
    async with server.client() as client:
        room = await create_courtroom(client, [CAMERA])
        hearings = [await create_hearing(client, room.id, visibility="restricted") for _ in "ab"]
    url = server.env.get("COURTCAST_DATABASE_URL") or sqlite_url(server.data_dir / "index.sqlite3")
    db = Database(url)
    media = fmp4_pair()
    rng = random.Random(15)
    try:
        archives = []
        for hearing, segments in zip(hearings, (round(hours * 1800), 300), strict=True):
            archives.append(
                await seed_recording(
                    db,
                    store,
                    hearing_id=hearing,
                    segments=segments,
                    points=points,
                    media=media,
                    rng=rng,
                )
            )
        return archives
    finally:
        await db.close()
        await store.close()


def rgw_env(stack: ExitStack, directory: Path) -> dict[str, str]:
    from bench.nodes import S3_ACCESS_KEY, S3_SECRET_KEY, new_bucket, running_rgw

    endpoint = stack.enter_context(running_rgw(directory))
    return {
        "COURTCAST_S3_ENDPOINT": endpoint,
        "COURTCAST_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "COURTCAST_S3_SECRET_KEY": S3_SECRET_KEY,
        "COURTCAST_S3_BUCKET": new_bucket(endpoint),
        "COURTCAST_S3_SECURE": "false",
    }


def postgres_env(stack: ExitStack, directory: Path) -> dict[str, str]:
    """A throwaway PostgreSQL (as bench/search.py starts it), stopped with the stack."""
    directory.chmod(0o755)  # the cluster runs as 'postgres' when we are root
    _, started = start_postgres(directory / "pg")
    stop = Path(__file__).parents[1] / "tests" / "fixtures" / "postgres" / "stop-postgres.sh"
    stack.callback(subprocess.run, [str(stop)], env=started, check=False, capture_output=True)
    url = fresh_postgres_database(f"127.0.0.1:{started['PG_PORT']}")
    return {"COURTCAST_DATABASE_URL": url}


def store_of(env: dict[str, str], data: Path) -> ObjectStore:
    return open_object_store(
        data_dir=data,
        s3_endpoint=env.get("COURTCAST_S3_ENDPOINT"),
        s3_access_key=env.get("COURTCAST_S3_ACCESS_KEY"),
        s3_secret_key=env.get("COURTCAST_S3_SECRET_KEY"),
        s3_bucket=env.get("COURTCAST_S3_BUCKET"),
        s3_secure=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--store", choices=["local", "rgw"], default="local")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="courtcast-seek-") as tmp, ExitStack() as stack:
        data = Path(tmp) / "data"
        data.mkdir()
        env = rgw_env(stack, Path(tmp) / "rgw") if args.store == "rgw" else {}
        if args.database == "postgresql":
            env |= postgres_env(stack, Path(tmp))
        server = stack.enter_context(running_server(data, env))
        database = "PostgreSQL" if "COURTCAST_DATABASE_URL" in server.env else "SQLite"
        started = time.monotonic()
        long, short = asyncio.run(
            prepare(server, store_of(server.env, data), args.hours, args.points)
        )
        print(
            f"seeded {long.segments:,} + {short.segments:,} segments ({database}, "
            f"{args.store} store) in {time.monotonic() - started:.1f} s"
        )
        assert server.process is not None
        process = psutil.Process(server.process.pid)
        long_figures = asyncio.run(measure(server.base_url, server.admin_token, long, process))
        short_figures = asyncio.run(measure(server.base_url, server.admin_token, short, process))
        server.stop()
        server.start()
        for archive, figures in ((long, long_figures), (short, short_figures)):
            restarted = asyncio.run(first_seek(server.base_url, server.admin_token, archive))
            figures["first playlist, restarted"] = [restarted["playlist"]]
            figures["first seek, restarted"] = [restarted["total"]]
        report(
            f"{args.hours:g} h recording ({long.segments:,} segments), {args.points} points",
            long_figures,
        )
        report(f"baseline: 10 min recording ({short.segments} segments)", short_figures)
        ratio = statistics.median(long_figures["total"]) / statistics.median(short_figures["total"])
        p95 = percentile(long_figures["total"], 0.95)
        loaded = percentile(long_figures["total, playlist loaded"], 0.95)
        print(
            f"\nseek p95 {p95:.0f} ms with the playlist, {loaded:.0f} ms in a recording already "
            f"open (goal 300 ms); median ratio to the baseline {ratio:.2f}"
        )
        print(
            f"first seek after a restart {long_figures['first seek, restarted'][0]:.0f} ms "
            f"(playlist stored in the index) against {long_figures['first seek, uncached'][0]:.0f}"
            " ms for the first seek ever (playlist rendered)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
