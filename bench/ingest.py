"""Ingest benchmark: Courtcast's CPU per recorded stream beside aiortc's decoding receiver.

Run: `.venv/bin/python -m bench.ingest --publishers 8,32 --seconds 20`

For each publisher count N the same pre-encoded 720p30 clip (~2.5 Mbit/s H.264 + Opus) is
sent N times from separate processes, at most PUBLISHERS_PER_PROCESS each (so the
publishers' CPU is not counted); each process packetizes the clip once and its publishers
send it through Courtcast's relay sender loop (the same packets as aiortc's sender, for less
CPU):

1. to a real Courtcast server (subprocess, embedded defaults, temporary data dir) recording
   a courtroom with N cameras, and
2. to a plain aiortc receiver in its own process that consumes `track.recv()` for every
   track, i.e. aiortc's default receive path that decodes H.264 and Opus.

After a warm-up, the receiving process's CPU time (user + system, all threads) is taken over
the same window, and its RSS at the end; RSS per stream is what the process grew by from
before the publishers connected, divided by N. The sending processes' CPU is printed too:
near 100% of a core means they could not keep up and the figures undercount. Absolute
figures drift on shared machines, so both are measured in one run and compared as a ratio.
Nothing here asserts: it only prints.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import av
import httpx
import psutil  # type: ignore[import-untyped]

from bench.ingest_peers import (
    CONNECT_TIMEOUT_S,
    Publishing,
    publisher_process,
    receiver_process,
)
from tests.support import clips
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer, running_server

WIDTH, HEIGHT, FPS, GOP = 1280, 720, 30, 60
BITRATE = 2_500_000
CLIP_MARGIN_S = 10.0  # connect + stop time beyond warm-up and window, so the clip never runs out
GOAL_CPU_PER_STREAM = 1.0  # % of one core per recorded stream
GOAL_RATIO = 0.25  # server CPU / decoding-receiver CPU
PUBLISHERS_PER_PROCESS = 8
VALID_SHARE = 0.9  # a camera that stored less than this share of what it sent in the window
SEGMENT_S = 2.0  # stored frames are counted in whole segments: up to two may straddle a window


@dataclass
class Measurement:
    """What one receiving process cost over the measurement window."""

    streams: int
    cpu_s: float
    window_s: float
    rss_bytes: int
    frames: list[int]  # video frames per stream within the window
    idle_rss_bytes: int  # before the publishers connected
    sender_cpu: list[float]  # % of one core, each sending process
    recorded_s: float = 0.0  # server only: total stored seconds over all cameras
    segments: int = 0  # server only: total stored segments

    @property
    def cpu_percent_per_stream(self) -> float:
        return 100.0 * self.cpu_s / self.window_s / self.streams

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / 1e6

    @property
    def rss_mb_per_stream(self) -> float:
        return (self.rss_bytes - self.idle_rss_bytes) / 1e6 / self.streams

    @property
    def fps_per_stream(self) -> float:
        return sum(self.frames) / len(self.frames) / self.window_s if self.frames else 0.0


# --- the clip --------------------------------------------------------------------------------


def clip_for(seconds: float) -> Path:
    """A detailed 720p30 clip, cached in the temp dir (making one takes a while); the name
    carries a hash of the clip recipe's source, so a changed recipe makes a new clip."""
    folder = Path(tempfile.gettempdir()) / "courtcast-bench"
    folder.mkdir(exist_ok=True)
    recipe = hashlib.sha256(Path(clips.__file__).read_bytes()).hexdigest()[:10]
    path = folder / f"ingest-{recipe}-{WIDTH}x{HEIGHT}p{FPS}-{round(seconds)}s.ts"
    if not path.exists():
        print(f"making {path.name} ...", flush=True)
        partial = path.with_suffix(".partial.ts")
        make_clip(
            partial,
            seconds=round(seconds),
            width=WIDTH,
            height=HEIGHT,
            fps=FPS,
            gop=GOP,
            bitrate=BITRATE,
            detail=True,
        )
        partial.rename(path)
    return path


def describe_clip(path: Path) -> str:
    """Bitrate from the file size (what goes on the wire, roughly) and of the video alone."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        duration_s = float(container.duration or 0) / av.time_base
        video_bytes = sum(packet.size for packet in container.demux(video) if packet.size)
    total = path.stat().st_size * 8 / duration_s / 1e6
    return (
        f"clip {path} : {WIDTH}x{HEIGHT}p{FPS}, {duration_s:.1f} s, "
        f"{total:.2f} Mbit/s from file size (MPEG-TS, with Opus), "
        f"{video_bytes * 8 / duration_s / 1e6:.2f} Mbit/s H.264 alone"
    )


# --- orchestration and measurement (the child processes are in bench/ingest_peers.py) ------


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _finish(process: multiprocessing.process.BaseProcess) -> None:
    process.join(timeout=30)
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)


class Senders:
    """The sending processes, PUBLISHERS_PER_PROCESS publishers at most in each, started one
    after another once the previous one's publishers connected (32 handshakes at once on a
    loaded 2-core machine outlast the server's connect timeout), sending once all are."""

    def __init__(
        self,
        clip: Path,
        whip_urls: list[str] | None,
        token: str | None,
        signalling: list[Connection] | None,
        streams: int,
    ) -> None:
        self._jobs: list[Publishing] = []
        for number, start in enumerate(range(0, streams, PUBLISHERS_PER_PROCESS)):
            group = range(start, min(start + PUBLISHERS_PER_PROCESS, streams))
            urls = [whip_urls[i] for i in group] if whip_urls is not None else None
            pipe = signalling[number] if signalling is not None else None
            self._jobs.append(Publishing(str(clip), len(group), urls, token, pipe))
        self.controls: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []

    @staticmethod
    def process_count(streams: int) -> int:
        return -(-streams // PUBLISHERS_PER_PROCESS)

    def connect(self, what: str) -> None:
        """Start each process and wait until its publishers are connected, then start every
        clip at once (publishers send nothing until then)."""
        context = multiprocessing.get_context("spawn")
        for job in self._jobs:
            control, child = context.Pipe()
            process = context.Process(target=publisher_process, args=(job, child), daemon=True)
            process.start()
            self.controls.append(control)
            self.processes.append(process)
            if not control.poll(CONNECT_TIMEOUT_S + 15):
                raise RuntimeError(
                    f"{what}: publishers sent nothing within {CONNECT_TIMEOUT_S + 15} s"
                )
            kind, detail = control.recv()
            if kind != "connected":
                raise RuntimeError(f"{what}: publisher process failed:\n{detail}")
        for control in self.controls:
            control.send("go")

    def cpu_s(self) -> list[float]:
        return [cpu_seconds(psutil.Process(process.pid)) for process in self.processes]

    def stop(self) -> None:
        for control in self.controls:
            control.send("stop")
        for process in self.processes:
            _finish(process)


async def prepare_recording(server: RunningServer, cameras: int) -> tuple[str, list[str], str]:
    """Courtroom with N cameras, a hearing, a running recording: (recording id, urls, room)."""
    async with server.client() as client:
        courtroom = await create_courtroom(client, [f"cam{i + 1}" for i in range(cameras)])
        hearing_id = await create_hearing(client, courtroom.id)
        started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
        if started.status_code != 201:
            raise RuntimeError(f"starting the recording answered {started.status_code}")
        urls = [f"{server.base_url}/whip/{courtroom.id}/{camera}" for camera in courtroom.cameras]
        return started.json()["id"], urls, courtroom.id


def stored_frames(client: httpx.Client, recording_id: str) -> list[int]:
    tracks = client.get(f"/api/v1/recordings/{recording_id}").json()["tracks"]
    return [int(track["frames"]) for track in tracks]


def _measure_window(
    watched: psutil.Process,
    senders: Senders,
    frames: Callable[[], list[int]],
    warmup_s: float,
    window_s: float,
) -> tuple[float, float, int, list[int], list[float]]:
    """After the warm-up: (CPU s, window s, RSS at the end, frames per stream, sender CPU %)."""
    time.sleep(warmup_s)
    frames_before = frames()
    cpu_before, senders_before, started = cpu_seconds(watched), senders.cpu_s(), time.monotonic()
    time.sleep(window_s)
    cpu_after, senders_after, ended = cpu_seconds(watched), senders.cpu_s(), time.monotonic()
    rss = int(watched.memory_info().rss)
    frames_after = frames()
    elapsed = ended - started
    sender_cpu = [
        100.0 * (after - before) / elapsed
        for before, after in zip(senders_before, senders_after, strict=True)
    ]
    stored = [b - a for a, b in zip(frames_before, frames_after, strict=True)]
    return cpu_after - cpu_before, elapsed, rss, stored, sender_cpu


def measure_server(clip: Path, streams: int, warmup_s: float, window_s: float) -> Measurement:
    """Courtcast recording N cameras; frames are those stored (2 s segment granularity)."""
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-bench-") as tmp,
        running_server(Path(tmp) / "data") as server,
    ):
        assert server.process is not None
        said = [line for line in server.log_tail(400).splitlines() if "receive path:" in line]
        print(f"  server receive path: {said[-1].rpartition(' ')[2] if said else 'not logged'}")
        recording_id, urls, _ = asyncio.run(prepare_recording(server, streams))
        watched = psutil.Process(server.process.pid)
        idle_rss = int(watched.memory_info().rss)
        senders = Senders(clip, urls, server.admin_token, None, streams)
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            try:
                try:
                    senders.connect("server")
                except RuntimeError:
                    print(f"!! server log (tail):\n{server.log_tail(60)}")
                    raise
                cpu_s, elapsed, rss, frames, sender_cpu = _measure_window(
                    watched,
                    senders,
                    lambda: stored_frames(client, recording_id),
                    warmup_s,
                    window_s,
                )
                stopped = client.post(f"/api/v1/recordings/{recording_id}/stop")
            finally:
                senders.stop()
        if stopped.status_code != 200:
            raise RuntimeError(f"stop answered {stopped.status_code}: {stopped.text}")
        tracks = stopped.json()["tracks"]
        result = Measurement(
            streams=streams,
            cpu_s=cpu_s,
            window_s=elapsed,
            rss_bytes=rss,
            frames=frames,
            idle_rss_bytes=idle_rss,
            sender_cpu=sender_cpu,
            recorded_s=sum(float(track["duration_s"]) for track in tracks),
            segments=sum(int(track["segments"]) for track in tracks),
        )
        if result.segments == 0 or any(int(track["segments"]) == 0 for track in tracks):
            print(f"!! the server stored no segments for some camera: {tracks}")
            print(f"!! server log (tail):\n{server.log_tail(80)}")
        return result


def measure_baseline(clip: Path, streams: int, warmup_s: float, window_s: float) -> Measurement:
    """aiortc's default decoding receiver, in its own process, same publishers and window."""
    context = multiprocessing.get_context("spawn")
    pipes = [context.Pipe() for _ in range(Senders.process_count(streams))]
    receiver_control, receiver_child = context.Pipe()
    receiver = context.Process(
        target=receiver_process,
        args=([theirs for _, theirs in pipes], receiver_child),
        daemon=True,
    )
    receiver.start()

    def reply() -> Any:
        answer = receiver_control.recv()
        if isinstance(answer, tuple):
            raise RuntimeError(f"baseline receiver failed:\n{answer[1]}")
        return answer

    def counts() -> list[int]:
        receiver_control.send("count")
        return list(reply())

    idle_rss = int(reply())  # sent once imported, before any peer connection
    senders = Senders(clip, None, None, [ours for ours, _ in pipes], streams)
    try:
        senders.connect("baseline")
        assert receiver.pid is not None
        cpu_s, elapsed, rss, frames, sender_cpu = _measure_window(
            psutil.Process(receiver.pid), senders, counts, warmup_s, window_s
        )
    finally:
        receiver_control.send("stop")
        senders.stop()
        _finish(receiver)
    return Measurement(
        streams=streams,
        cpu_s=cpu_s,
        window_s=elapsed,
        rss_bytes=rss,
        frames=frames,
        idle_rss_bytes=idle_rss,
        sender_cpu=sender_cpu,
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _percents(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{value:.0f}" for value in values) + "]"


def report(rows: Sequence[tuple[Measurement, Measurement]], window_s: float) -> None:
    """The table, the frames each side handled, and the goals."""
    print()
    print(f"Ingest CPU, % of one core per stream, over a {window_s:g} s window")
    header = (
        f"{'publishers':>10} | {'server %/stream':>15} | {'server RSS MB/stream':>20} | "
        f"{'baseline %/stream':>17} | {'baseline RSS MB/stream':>22} | {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for server, baseline in rows:
        ratio = server.cpu_s / baseline.cpu_s if baseline.cpu_s > 0 else float("inf")
        print(
            f"{server.streams:>10} | {server.cpu_percent_per_stream:>15.2f} | "
            f"{server.rss_mb_per_stream:>20.1f} | {baseline.cpu_percent_per_stream:>17.2f} | "
            f"{baseline.rss_mb_per_stream:>22.1f} | {ratio:>5.2f}"
        )
    print()
    print("Whole process RSS (MB, idle -> end of window) and sending processes' CPU (% of a core,")
    print("near 100 means they could not keep up):")
    for server, baseline in rows:
        print(
            f"  N={server.streams}: server "
            f"{server.idle_rss_bytes / 1e6:.0f} -> {server.rss_mb:.0f}, "
            f"baseline {baseline.idle_rss_bytes / 1e6:.0f} -> {baseline.rss_mb:.0f}; senders "
            f"{_percents(server.sender_cpu)} (server run), "
            f"{_percents(baseline.sender_cpu)} (baseline run)"
        )
    print()
    print("Video frames per stream in the window (server: stored, whole 2 s segments;")
    print("baseline: decoded), and what the server recorded in total:")
    for server, baseline in rows:
        print(
            f"  N={server.streams}: server {server.frames} ({server.fps_per_stream:.1f} fps), "
            f"baseline {baseline.frames} ({baseline.fps_per_stream:.1f} fps); "
            f"recorded {server.recorded_s:.1f} s in {server.segments} segments "
            f"over {server.streams} camera(s)"
        )
    print()
    print(
        f"Goals: server <= {GOAL_CPU_PER_STREAM:g} % of a core per stream; ratio <= {GOAL_RATIO:g}"
    )
    for server, baseline in rows:
        ratio = server.cpu_s / baseline.cpu_s if baseline.cpu_s > 0 else float("inf")
        per_stream = server.cpu_percent_per_stream
        least = min(server.frames)
        if least < VALID_SHARE * FPS * (server.window_s - 2 * SEGMENT_S):
            print(
                f"  N={server.streams}: NOT VALID: a camera stored only {least} frames in the"
                f" {server.window_s:.0f} s window (the machine could not keep up), so the CPU"
                " figure undercounts"
            )
            continue
        print(
            f"  N={server.streams}: per stream {per_stream:.2f} % "
            f"{_verdict(per_stream <= GOAL_CPU_PER_STREAM)}; {_ratio_verdict(ratio, baseline)}"
        )


def _ratio_verdict(ratio: float, baseline: Measurement) -> str:
    """A decoding receiver that could not keep up spent less than decoding every frame costs:
    the ratio is then only an upper bound, which meets the goal or shows nothing."""
    if baseline.fps_per_stream >= VALID_SHARE * FPS:
        return f"ratio {ratio:.2f} {_verdict(ratio <= GOAL_RATIO)}"
    bound = (
        f"ratio at most {ratio:.2f} (the decoding receiver kept up with only "
        f"{baseline.fps_per_stream:.1f} of {FPS} fps, so its CPU undercounts decoding them all)"
    )
    return f"{bound} {'met' if ratio <= GOAL_RATIO else 'NOT shown'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--publishers", default="8,32", help="comma-separated counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.publishers.split(",") if part.strip()]
    clip = clip_for(args.warmup + args.seconds + CLIP_MARGIN_S)
    print(describe_clip(clip))
    print(f"machine: {psutil.cpu_count()} logical CPUs; python {sys.version.split()[0]}")
    rows: list[tuple[Measurement, Measurement]] = []
    begun = time.monotonic()
    for streams in counts:
        print(f"N={streams}: Courtcast ...", flush=True)
        server = measure_server(clip, streams, args.warmup, args.seconds)
        print(f"N={streams}: aiortc decoding receiver ...", flush=True)
        baseline = measure_baseline(clip, streams, args.warmup, args.seconds)
        rows.append((server, baseline))
    report(rows, args.seconds)
    print(f"\n(run took {time.monotonic() - begun:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
