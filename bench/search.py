"""Search latency on a court-sized index: p50 and p95 of typical queries through the HTTP API.

    .venv/bin/python -m bench.search --database sqlite|postgresql [--hearings 100000]
        [--segments 10000000] [--runs 40]

Migrates a fresh database (SQLite in a temp dir, or a throwaway PostgreSQL started with
tests/fixtures/postgres/start-postgres.sh), seeds it through SQLAlchemy Core in bulk (COPY
on PostgreSQL): cases with parties, courtrooms, hearings, one recording per held hearing
with two camera tracks, markers and transcript lines in Chinese, and segments. Then a real
server answers each query `--runs` times after a warm-up; nothing asserts (goal: p95 <= 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import case_numbers
from storage.db import Database, sqlite_url
from storage.models import (
    Camera,
    Case,
    CaseParty,
    Court,
    Courtroom,
    Hearing,
    Marker,
    Recording,
    Segment,
    Track,
    TranscriptLine,
)
from tests.support.server import free_port, running_server

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉建国志红梅"
CAUSES = ["民间借贷", "房屋租赁合同", "买卖合同", "劳动争议", "机动车交通事故责任", "离婚", "继承"]
SENTENCES = [
    "{a}陈述借款经过，称{b}至今未归还本金{n}元。",
    "审判长宣布继续开庭，由被告{b}发表质证意见。",
    "证人{a}宣誓后陈述当日看见{b}离开现场。",
    "原告出示第{n}号证据，为借条原件一份。",
    "被告代理人认为租赁合同第{n}条约定不明。",
]
START = datetime(2021, 1, 4, 1, 30, tzinfo=UTC)
BATCH = 20_000
FULL_WIDTH = str.maketrans("()0123456789", "（）０１２３４５６７８９")  # as an input method types


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])


def batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def load(connection: AsyncConnection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite (its triggers fill the FTS)."""
    count = 0
    raw = None
    if connection.dialect.name == "postgresql":
        raw = (await connection.get_raw_connection()).driver_connection
    for batch in batches(rows):
        if raw is not None:  # the columns the rows name: the others keep their defaults (NULL)
            columns = [c.name for c in table.columns if c.name in batch[0]]
            records = [tuple(row[c] for c in columns) for row in batch]
            await raw.copy_records_to_table(table.name, records=records, columns=columns)
        else:
            await connection.execute(insert(table), batch)
        count += len(batch)
    return count


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def uid(prefix: str, n: int) -> str:
    return f"{prefix}{n:031x}"[:32]


async def seed(url: str, *, hearings: int, segments: int, rng: random.Random) -> dict[str, Any]:
    """Fill the index; returns values the queries look for (a judge, a courtroom, a case)."""
    db = Database(url)
    await db.migrate()
    now = datetime.now(UTC)
    rooms, judges = 50, [name(rng) + "法官" for _ in range(200)]
    cases = hearings // 2
    held = [i for i in range(hearings) if i % 10 != 9]  # one in ten is still to come
    tracks_per_recording = 2
    per_track = max(1, segments // (len(held) * tracks_per_recording))
    parties: list[tuple[str, str]] = [(name(rng), name(rng)) for _ in range(cases)]

    def case_rows() -> Iterator[dict[str, Any]]:
        for c in range(cases):
            a, b = parties[c]
            number = f"({2021 + c % 5})湘{c % 13 + 1:02d}民初{c}号"
            yield {
                "id": uid("c", c),
                "court_id": "court",
                "number": number,
                "number_key": case_numbers.normalize(number),  # COPY fills no defaults
                "title": f"{a}诉{b}{CAUSES[c % len(CAUSES)]}纠纷",
                "case_type": "default",
                "legal_hold": False,
                "created_at": now,
            }

    def party_rows() -> Iterator[dict[str, Any]]:
        for c in range(cases):
            for position, (who, role) in enumerate(zip(parties[c], ("原告", "被告"), strict=True)):
                yield {
                    "id": uid("p", 2 * c + position),
                    "case_id": uid("c", c),
                    "name": who,
                    "role": role,
                    "position": position,
                }

    def hearing_start(h: int) -> datetime:
        return START + timedelta(hours=h * 43_800 / hearings, minutes=h % 7)

    def hearing_rows() -> Iterator[dict[str, Any]]:
        for h in range(hearings):
            yield {
                "id": uid("h", h),
                "case_id": uid("c", h % cases),
                "courtroom_id": uid("r", h % rooms),
                "title": f"第{h // cases + 1}次开庭",
                "scheduled_start": hearing_start(h),
                "visibility": ("public", "public", "restricted", "sealed")[h % 4],
                "status": "scheduled" if h % 10 == 9 else ("closed", "recess")[h % 50 == 0],
                "created_at": now,
                "presiding_judge": judges[h % len(judges)],
                "actual_start": None if h % 10 == 9 else hearing_start(h),
                "actual_end": None,
            }

    def recording_rows() -> Iterator[dict[str, Any]]:
        for h in held:
            yield {
                "id": uid("v", h),
                "hearing_id": uid("h", h),
                "courtroom_id": uid("r", h % rooms),
                "court_id": "court",
                "status": "stopped",
                "started_at": hearing_start(h),
                "stopped_at": hearing_start(h) + timedelta(hours=2),
                "started_by": "bench",
                "manifest_key": None,
                "manifest_sha256": None,
                "retention_class": "default",
                "retention_mode": "GOVERNANCE",
                "retain_until": None,
            }

    def track_rows() -> Iterator[dict[str, Any]]:
        for h in held:
            for camera in range(tracks_per_recording):
                yield {
                    "id": uid("t", h * tracks_per_recording + camera),
                    "recording_id": uid("v", h),
                    "camera": ("bench", "witness")[camera],
                    "created_at": now,
                }

    def segment_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for h in held:
            for camera in range(tracks_per_recording):
                track = uid("t", h * tracks_per_recording + camera)
                for sequence in range(per_track):
                    n += 1
                    yield {
                        "id": uid("s", n),
                        "track_id": track,
                        "sequence": sequence,
                        "epoch": 0,
                        "object_key": f"{track}/{sequence:08d}.m4s",
                        "extension": "m4s",
                        "started_at": hearing_start(h) + timedelta(seconds=2 * sequence),
                        "duration_s": 2.0,
                        "size": 500_000,
                        "sha256": "0" * 64,
                        "frames": 60,
                        "discontinuity": False,
                        "stored_at": now,
                    }

    def marker_rows() -> Iterator[dict[str, Any]]:
        for h in held:
            yield {
                "id": uid("m", h),
                "recording_id": uid("v", h),
                "at": hearing_start(h) + timedelta(minutes=30),
                "kind": "witness_sworn" if h % 3 else "exhibit_shown",
                "text": f"证人{name(rng)}宣誓" if h % 3 else f"出示第{h % 40}号证据",
                "author": "书记员",
                "created_at": now,
            }

    def transcript_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for h in held:
            a, b = parties[h % cases]
            for line in range(5):
                n += 1
                yield {
                    "id": uid("l", n),
                    "recording_id": uid("v", h),
                    "at": hearing_start(h) + timedelta(minutes=line),
                    "speaker_role": ("审判长", "原告", "被告")[line % 3],
                    "text": rng.choice(SENTENCES).format(a=a, b=b, n=rng.randrange(1, 200_000)),
                    "author": "书记员",
                    "created_at": now,
                    "edited_at": None,
                }

    counts: dict[str, int] = {}
    async with db.engine.begin() as connection:
        court = {"id": "court", "name": "衡阳市中级人民法院", "timezone": "Asia/Shanghai"}
        await connection.execute(insert(table_of(Court)), [{**court, "created_at": now}])
        await connection.execute(
            insert(table_of(Courtroom)),
            [
                {"id": uid("r", r), "court_id": "court", "name": f"第{r + 1}法庭"}
                | {"kind": "courtroom", "created_at": now}
                for r in range(rooms)
            ],
        )
        await connection.execute(
            insert(table_of(Camera)),
            [
                {"id": uid("k", 2 * r + i), "courtroom_id": uid("r", r), "name": cam}
                | {"position": i}
                for r in range(rooms)
                for i, cam in enumerate(("bench", "witness"))
            ],
        )
        for model, rows in (
            (Case, case_rows()),
            (CaseParty, party_rows()),
            (Hearing, hearing_rows()),
            (Recording, recording_rows()),
            (Track, track_rows()),
            (Marker, marker_rows()),
            (TranscriptLine, transcript_rows()),
            (Segment, segment_rows()),
        ):
            table = table_of(model)
            started = time.monotonic()
            counts[table.name] = await load(connection, table, rows)
            print(
                f"  {table.name}: {counts[table.name]:,} rows in {time.monotonic() - started:.0f} s"
            )
    async with db.engine.begin() as connection:
        await connection.exec_driver_sql("ANALYZE")
    await db.close()
    sample = hearings // 3
    case = sample % cases
    return {
        "counts": counts,
        "case_number": f"({2021 + case % 5})湘{case % 13 + 1:02d}民初{case}号",
        "number_part": f"民初{case}号",
        "party": parties[case][0],
        "judge": judges[sample % len(judges)],
        "courtroom_id": uid("r", sample % rooms),
        "date_from": hearing_start(sample).isoformat(),
        "date_to": (hearing_start(sample) + timedelta(days=90)).isoformat(),
    }


Plan = dict[str, tuple[str, dict[str, Any]]]


def worst_cases() -> Plan:
    """Queries whose cost grows with the number of matches: reported apart, not in "all"."""
    return {
        "common phrase 借条原件 (1/5 lines)": ("/api/v1/hearings", {"q": "借条原件"}),
        "2-character text 租赁 (no trigram)": ("/api/v1/hearings", {"q": "租赁"}),
    }


def typical(found: dict[str, Any]) -> Plan:
    return {
        "case number (exact)": ("/api/v1/hearings", {"case_number": found["case_number"]}),
        "case number (prefix)": ("/api/v1/hearings", {"case_number": "(2023)湘05民初"}),
        "case number (full-width)": (
            "/api/v1/hearings",
            {"case_number": found["case_number"].translate(FULL_WIDTH)},
        ),
        "case number (contains)": ("/api/v1/hearings", {"case_number": found["number_part"]}),
        "party (contains)": ("/api/v1/hearings", {"party": found["party"]}),
        "judge + date range": (
            "/api/v1/hearings",
            {"judge": found["judge"], "date_from": found["date_from"], "date_to": found["date_to"]},
        ),
        "courtroom + status": (
            "/api/v1/hearings",
            {"courtroom_id": found["courtroom_id"], "status": "recess"},
        ),
        "free text (a name, Chinese)": ("/api/v1/hearings", {"q": found["party"]}),
        "recordings: courtroom + dates": (
            "/api/v1/recordings",
            {"courtroom_id": found["courtroom_id"], "date_from": found["date_from"]},
        ),
        "recordings: free text": ("/api/v1/recordings", {"q": "证人" + found["party"]}),
        "page 2 (offset)": ("/api/v1/hearings", {"visibility": "public", "offset": 50}),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def timed(client: httpx.AsyncClient, plan: Plan, runs: int) -> list[float]:
    """Print p50/p95 per query; return every latency measured."""
    every: list[float] = []
    for label, (path, params) in plan.items():
        response = await client.get(path, params=params)  # warm-up
        assert response.status_code == 200, response.text
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = await client.get(path, params=params)
            times.append((time.perf_counter() - started) * 1000)
        every += times
        rows = len(response.json()["items"])
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{label:36} {rows:>5} {p50:>8.1f} {p95:>8.1f}")
    return every


async def measure(base_url: str, token: str, found: dict[str, Any], runs: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        plan = typical(found)
        first = await client.get("/api/v1/hearings", params={"visibility": "public"})
        cursor = {"visibility": "public", "cursor": first.json()["next"]}
        plan["page 2 (cursor)"] = ("/api/v1/hearings", cursor)
        print(f"\n{'query':36} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8}")
        every = await timed(client, plan, runs)
        p50, p95 = statistics.median(every), percentile(every, 0.95)
        print(f"{'all typical queries':36} {'':>5} {p50:>8.1f} {p95:>8.1f}")
        await timed(client, worst_cases(), runs)


POSTGRES_SCRIPTS = Path(__file__).parents[1] / "tests" / "fixtures" / "postgres"


def start_postgres(directory: Path) -> tuple[str, dict[str, str]]:
    script = POSTGRES_SCRIPTS / "start-postgres.sh"
    env = {**os.environ, "PG_DIR": str(directory), "PG_PORT": str(free_port())}
    out = subprocess.run([str(script)], env=env, check=True, capture_output=True, text=True)
    url = out.stdout.strip().removeprefix("export DATABASE_URL=")
    return url.replace("postgresql://", "postgresql+asyncpg://"), env


@contextlib.contextmanager
def index_url(database: str, directory: Path) -> Iterator[str]:
    """An empty index of the kind asked for in `directory`: an SQLite file, or a PostgreSQL
    cluster of its own on loopback, stopped when the block ends."""
    if database != "postgresql":
        yield sqlite_url(directory / "index.sqlite3")
        return
    directory.chmod(0o755)  # the cluster runs as 'postgres' when we are root
    url, postgres_env = start_postgres(directory / "pg")
    try:
        yield url
    finally:
        stop = POSTGRES_SCRIPTS / "stop-postgres.sh"
        subprocess.run([str(stop)], env=postgres_env, check=False, capture_output=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--hearings", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="courtcast-search-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with index_url(args.database, Path(tmp)) as url:
            started = time.monotonic()
            what = f"{args.hearings:,} hearings and {args.segments:,} segments"
            print(f"seeding {what} ({args.database})")
            found = asyncio.run(
                seed(url, hearings=args.hearings, segments=args.segments, rng=random.Random(5))
            )
            print(f"seeded in {time.monotonic() - started:.0f} s")
            with running_server(data, {"COURTCAST_DATABASE_URL": url}) as server:
                asyncio.run(measure(server.base_url, server.admin_token, found, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
