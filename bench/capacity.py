"""A node's camera capacity: CPU per recorded stream with 1 and with several worker processes.

Run: `.venv/bin/python -m bench.capacity --publishers 1,8,32 --workers 1,2 --seconds 15`

For each worker count W and publisher count N, a fresh `courtcast serve --workers W` (on a
PostgreSQL started here, which workers need, and the local store) records N cameras of
bench/ingest.py's 720p30 clip, four cameras per courtroom as in a court; each recording is
started one after the other, so the courtrooms spread over the workers (least loaded first),
and each camera publishes straight to the worker holding its courtroom. The publishers run
in processes of their own (bench/ingest.py's Senders), not counted.

Measured over the same window: CPU time of the whole server (supervisor and every worker,
user + system, all threads), its RSS summed, and the frames each stream got into the index.
Printed: CPU per stream (at the full frame rate), the node's estimated capacity (the cores
it can use, min(W, the machine's cores), divided by CPU per stream), and what saturated: a
worker near a whole core (the server), or streams stored below 95% of their frame rate with
the server idle (the senders: the figures then say little). Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from bench.ingest import CLIP_MARGIN_S, FPS, Senders, clip_for, describe_clip
from bench.search import start_postgres
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer, running_server

CAMERAS_PER_COURTROOM = 4
SATURATED_CORE = 0.9  # a worker using this much of a core cannot take more streams
SATURATED_FPS = 0.95 * FPS
STOP_POSTGRES = Path(__file__).parents[1] / "tests" / "fixtures" / "postgres" / "stop-postgres.sh"


@dataclass
class Run:
    workers: int
    streams: int
    cpu_s: float  # supervisor and workers together
    busiest_worker_s: float
    window_s: float
    rss_bytes: int
    fps_stored: float  # per stream, frames indexed over the window

    @property
    def per_stream(self) -> float:
        """% of a core per stream at the clip's full frame rate (a stream that got fewer
        frames in, its senders starved, counts as that fraction of one)."""
        delivered = self.streams * min(1.0, self.fps_stored / FPS)
        return 100.0 * self.cpu_s / self.window_s / max(delivered, 1e-9)

    @property
    def saturated(self) -> str:
        if self.busiest_worker_s / self.window_s >= SATURATED_CORE:
            return "server"
        return "senders" if self.fps_stored < SATURATED_FPS else "no"

    def capacity(self) -> float:
        cores = min(self.workers, psutil.cpu_count() or 1)
        return 100.0 * cores / self.per_stream


def server_tree(server: RunningServer) -> list[psutil.Process]:
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    return [root, *root.children()]


def cpu_by_process(processes: list[psutil.Process]) -> dict[int, float]:
    times = {}
    for process in processes:
        cpu = process.cpu_times()
        times[process.pid] = float(cpu.user + cpu.system)
    return times


async def start_recordings(server: RunningServer, streams: int) -> tuple[list[str], list[str]]:
    """Courtrooms of up to four cameras, each recording started in turn (which places the
    courtroom on the least loaded worker); (recording ids, each camera's holder's WHIP URL)."""
    recordings, urls = [], []
    async with server.client() as client:
        for first in range(0, streams, CAMERAS_PER_COURTROOM):
            count = min(CAMERAS_PER_COURTROOM, streams - first)
            courtroom = await create_courtroom(client, [f"cam{i + 1}" for i in range(count)])
            hearing_id = await create_hearing(client, courtroom.id)
            started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
            if started.status_code != 201:
                raise RuntimeError(f"start answered {started.status_code}: {started.text}")
            recordings.append(started.json()["id"])
            nodes = (await client.get("/api/v1/nodes")).json()
            holder = next(n["url"] for n in nodes if courtroom.id in n["courtrooms"])
            urls += [f"{holder}/whip/{courtroom.id}/{camera}" for camera in courtroom.cameras]
    return recordings, urls


def stored_frames(client: httpx.Client, recordings: list[str]) -> int:
    return sum(
        int(track["frames"])
        for recording in recordings
        for track in client.get(f"/api/v1/recordings/{recording}").json()["tracks"]
    )


def measure(clip: Path, workers: int, streams: int, warmup_s: float, window_s: float) -> Run:
    env = {
        "COURTCAST_WORKERS": str(workers),
        "COURTCAST_WORKER_PORT": "0",
        "COURTCAST_MAX_WHIP_ATTEMPTS_PER_MINUTE": "1000",
    }
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-capacity-") as tmp,
        running_server(Path(tmp) / "data", env) as server,
    ):
        deadline = time.monotonic() + 60
        while (
            len(httpx.get(server.base_url + "/api/v1/nodes", headers=_auth(server)).json())
            < workers
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not all start:\n{server.log_tail()}")
            time.sleep(0.2)
        recordings, urls = asyncio.run(start_recordings(server, streams))
        senders = Senders(clip, urls, server.admin_token, None, streams)
        with httpx.Client(base_url=server.base_url, headers=_auth(server), timeout=60) as client:
            try:
                senders.connect(f"{workers} worker(s)")
                time.sleep(warmup_s)
                tree = server_tree(server)
                frames_before = stored_frames(client, recordings)
                before, started = cpu_by_process(tree), time.monotonic()
                time.sleep(window_s)
                after, ended = cpu_by_process(tree), time.monotonic()
                rss = sum(int(p.memory_info().rss) for p in tree)
                frames_after = stored_frames(client, recordings)
                for recording in recordings:
                    client.post(f"/api/v1/recordings/{recording}/stop")
            finally:
                senders.stop()
    used = {pid: after[pid] - before[pid] for pid in before}
    return Run(
        workers=workers,
        streams=streams,
        cpu_s=sum(used.values()),
        busiest_worker_s=max(used.values()),
        window_s=ended - started,
        rss_bytes=rss,
        fps_stored=(frames_after - frames_before) / streams / (ended - started),
    )


def _auth(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_token}"}


HEADER = (
    f"{'workers':>7} {'streams':>7} {'CPU %/stream':>12} {'CPU % total':>11} {'busiest %':>9} "
    f"{'RSS MB':>7} {'MB/stream':>9} {'fps stored':>10} {'capacity':>8}  saturated"
)


def row(run: Run) -> str:
    return (
        f"{run.workers:>7} {run.streams:>7} {run.per_stream:>12.2f} "
        f"{100 * run.cpu_s / run.window_s:>11.1f} "
        f"{100 * run.busiest_worker_s / run.window_s:>9.1f} {run.rss_bytes / 1e6:>7.0f} "
        f"{run.rss_bytes / 1e6 / run.streams:>9.1f} {run.fps_stored:>10.1f} "
        f"{run.capacity():>8.0f}  {run.saturated}"
    )


def report(runs: list[Run]) -> None:
    print()
    print(HEADER)
    for run in runs:
        print(row(run))
    by = {(run.workers, run.streams): run for run in runs}
    base = min(run.workers for run in runs)
    for run in runs:
        single = by.get((base, run.streams))
        if single is not None and run.workers != base:
            print(
                f"{run.streams} streams: {run.workers} workers / {base}: CPU per stream "
                f"x{run.per_stream / single.per_stream:.2f}, capacity "
                f"x{run.capacity() / single.capacity():.2f}"
            )
    print(
        "CPU per stream: per stream at the full frame rate; capacity: cameras the node could "
        "record = min(workers, cores) / CPU per stream; saturated: 'server' when a worker is "
        f"above {SATURATED_CORE:.0%} of a core, 'senders' when streams stored under "
        f"{SATURATED_FPS:.1f} fps with the server not saturated (the figures then say little)"
    )


@contextlib.contextmanager
def postgres_if(wanted: bool) -> Iterator[None]:
    """A PostgreSQL of its own on loopback for the block's servers, when `wanted` (worker
    processes need one), stopped and removed after it."""
    if not wanted:
        yield
        return
    base = Path(tempfile.mkdtemp(prefix="courtcast-bench-pg-"))
    base.chmod(0o755)  # the PostgreSQL cluster runs as 'postgres' when we are root
    _, postgres_env = start_postgres(base / "pg")
    os.environ["COURTCAST_TEST_POSTGRES"] = f"127.0.0.1:{postgres_env['PG_PORT']}"
    try:
        yield
    finally:
        os.environ.pop("COURTCAST_TEST_POSTGRES", None)
        subprocess.run([str(STOP_POSTGRES)], env=postgres_env, check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--publishers", default="1,8,32", help="comma-separated counts")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--seconds", type=float, default=15.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # servers and PostgreSQL stopped
    counts = [int(part) for part in args.publishers.split(",") if part.strip()]
    worker_counts = [int(part) for part in args.workers.split(",") if part.strip()]
    clip = clip_for(args.warmup + args.seconds + CLIP_MARGIN_S)
    print(describe_clip(clip))
    print(f"machine: {psutil.cpu_count()} logical CPUs; python {sys.version.split()[0]}")
    runs = []
    with postgres_if(True):
        for streams in counts:
            for workers in worker_counts:
                print(f"N={streams}, {workers} worker(s) ...", flush=True)
                try:
                    runs.append(measure(clip, workers, streams, args.warmup, args.seconds))
                except RuntimeError as failed:  # the others still say something
                    print(f"  failed: {failed}", flush=True)
                    continue
                print(f"{HEADER}\n{row(runs[-1])}", flush=True)
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
