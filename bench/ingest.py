"""Ingest benchmark: Courtcast's CPU per recorded stream beside aiortc's decoding receiver.

Run: `.venv/bin/python -m bench.ingest --publishers 1,4,8 --seconds 20`

For each publisher count N the same pre-encoded 720p30 clip (~2.5 Mbit/s H.264 + Opus) is
sent N times from a separate process (so the publishers' CPU is not counted):

1. to a real Courtcast server (subprocess, embedded defaults, temporary data dir) recording
   a courtroom with N cameras, and
2. to a plain aiortc receiver in its own process that consumes `track.recv()` for every
   track, i.e. aiortc's default receive path that decodes H.264 and Opus.

After a warm-up, the receiving process's CPU time (user + system, all threads) is taken over
the same window, and its RSS at the end. Absolute figures drift on shared machines, so both
are measured in one run and compared as a ratio. Nothing here asserts: it only prints.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import av
import httpx
import psutil  # type: ignore[import-untyped]

from tests.support import clips
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer, running_server

WIDTH, HEIGHT, FPS, GOP = 1280, 720, 30, 60
BITRATE = 2_500_000
CLIP_MARGIN_S = 10.0  # connect + stop time beyond warm-up and window, so the clip never runs out
CONNECT_TIMEOUT_S = 30.0
GOAL_CPU_PER_STREAM = 4.0  # % of one core per recorded stream
GOAL_RATIO = 0.5  # server CPU / decoding-receiver CPU
SENT_VIDEO = ("video/h264", "video/rtx")
SENT_AUDIO = ("audio/opus",)


@dataclass
class Measurement:
    """What one receiving process cost over the measurement window."""

    streams: int
    cpu_s: float
    window_s: float
    rss_bytes: int
    frames: list[int]  # video frames per stream within the window
    recorded_s: float = 0.0  # server only: total stored seconds over all cameras
    segments: int = 0  # server only: total stored segments

    @property
    def cpu_percent_per_stream(self) -> float:
        return 100.0 * self.cpu_s / self.window_s / self.streams

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / 1e6

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


# --- child process: N publishers -------------------------------------------------------------


class Publisher:
    """One aiortc peer sending the pre-encoded clip untouched, as tests' WhipPublisher does,
    but with the answer obtained by the caller (WHIP POST or a pipe to the baseline)."""

    def __init__(self, clip: Path) -> None:
        from aiortc import RTCPeerConnection
        from aiortc.contrib.media import MediaPlayer

        from streaming.ice import rtc_configuration

        self.player: Any = MediaPlayer(str(clip), decode=False)
        self.pc: Any = RTCPeerConnection(rtc_configuration())
        self.resource_url: str | None = None

    async def offer(self) -> str:
        from aiortc import RTCRtpSender

        for track, wanted in ((self.player.video, SENT_VIDEO), (self.player.audio, SENT_AUDIO)):
            if track is None:
                continue
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            capabilities = RTCRtpSender.getCapabilities(track.kind)
            transceiver.setCodecPreferences(
                [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
            )
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp: str = self.pc.localDescription.sdp
        return sdp

    async def accept(self, answer: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        await self.pc.close()
        for track in (self.player.video, self.player.audio):
            if track is not None:
                track.stop()


async def _whip_post(client: httpx.AsyncClient, url: str, offer: str) -> tuple[str, str]:
    response = await client.post(
        url, content=offer.encode(), headers={"Content-Type": "application/sdp"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"WHIP POST {url} answered {response.status_code}: {response.text}")
    return response.text, urljoin(url, response.headers["Location"])


async def _wait_connected(pcs: Sequence[Any]) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while any(pc.connectionState != "connected" for pc in pcs):
        if time.monotonic() > deadline:
            states = [pc.connectionState for pc in pcs]
            raise RuntimeError(f"publishers did not connect within {CONNECT_TIMEOUT_S} s: {states}")
        await asyncio.sleep(0.05)


async def _publish(
    clip: Path,
    count: int,
    control: Connection,
    whip_urls: list[str] | None,
    token: str | None,
    signalling: Connection | None,
) -> None:
    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses

    install_codecs()
    install_host_addresses([LOOPBACK])
    publishers = [Publisher(clip) for _ in range(count)]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        try:
            offers = [await publisher.offer() for publisher in publishers]
            if whip_urls is not None:
                posted = await asyncio.gather(
                    *(_whip_post(client, url, o) for url, o in zip(whip_urls, offers, strict=True))
                )
                answers = [answer for answer, _ in posted]
                for publisher, (_, location) in zip(publishers, posted, strict=True):
                    publisher.resource_url = location
            else:
                assert signalling is not None
                signalling.send(offers)
                answers = await asyncio.to_thread(signalling.recv)
            for publisher, answer in zip(publishers, answers, strict=True):
                await publisher.accept(answer)
            await _wait_connected([publisher.pc for publisher in publishers])
            control.send(("connected", None))
            await asyncio.to_thread(control.recv)  # "stop"
        finally:
            for publisher in publishers:
                if publisher.resource_url:
                    await client.delete(publisher.resource_url)
            await asyncio.gather(*(publisher.close() for publisher in publishers))


def publisher_process(
    clip: str,
    count: int,
    control: Connection,
    whip_urls: list[str] | None,
    token: str | None,
    signalling: Connection | None,
) -> None:
    """Entry point of the publishing process; failures go back to the parent as text."""
    try:
        asyncio.run(_publish(Path(clip), count, control, whip_urls, token, signalling))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise


# --- child process: the baseline receiver ----------------------------------------------------


async def _consume(track: Any, counts: list[int], index: int) -> None:
    """aiortc's default use of a received track: pull decoded frames until it ends."""
    from aiortc.mediastreams import MediaStreamError

    try:
        while True:
            await track.recv()
            if track.kind == "video":
                counts[index] += 1
    except MediaStreamError:
        return


async def _receive(signalling: Connection, control: Connection) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration

    install_codecs()
    install_host_addresses([LOOPBACK])
    offers: list[str] = await asyncio.to_thread(signalling.recv)
    counts = [0] * len(offers)
    consumers: list[asyncio.Task[None]] = []
    pcs: list[Any] = []
    answers: list[str] = []
    for index, offer in enumerate(offers):
        pc = RTCPeerConnection(rtc_configuration())
        pcs.append(pc)

        def on_track(track: Any, index: int = index) -> None:
            consumers.append(asyncio.ensure_future(_consume(track, counts, index)))

        pc.on("track", on_track)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answers.append(pc.localDescription.sdp)
    signalling.send(answers)
    while (command := await asyncio.to_thread(control.recv)) != "stop":
        if command == "count":
            control.send(list(counts))
    await asyncio.gather(*(pc.close() for pc in pcs))
    for consumer in consumers:
        consumer.cancel()


def receiver_process(signalling: Connection, control: Connection) -> None:
    """Entry point of the baseline receiving process (asyncio's default loop, as aiortc's)."""
    try:
        asyncio.run(_receive(signalling, control))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise


# --- the parent: orchestration and measurement -----------------------------------------------


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _await_connected(control: Connection, what: str) -> None:
    if not control.poll(CONNECT_TIMEOUT_S + 15):
        raise RuntimeError(f"{what}: publishers sent nothing within {CONNECT_TIMEOUT_S + 15} s")
    kind, detail = control.recv()
    if kind != "connected":
        raise RuntimeError(f"{what}: publisher process failed:\n{detail}")


def _finish(process: multiprocessing.process.BaseProcess) -> None:
    process.join(timeout=30)
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)


async def _prepare_recording(server: RunningServer, cameras: int) -> tuple[str, list[str], str]:
    """Courtroom with N cameras, a hearing, a running recording: (recording id, urls, room)."""
    async with server.client() as client:
        courtroom = await create_courtroom(client, [f"cam{i + 1}" for i in range(cameras)])
        hearing_id = await create_hearing(client, courtroom.id)
        started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
        if started.status_code != 201:
            raise RuntimeError(f"starting the recording answered {started.status_code}")
        urls = [f"{server.base_url}/whip/{courtroom.id}/{camera}" for camera in courtroom.cameras]
        return started.json()["id"], urls, courtroom.id


def _stored_frames(client: httpx.Client, recording_id: str) -> list[int]:
    tracks = client.get(f"/api/v1/recordings/{recording_id}").json()["tracks"]
    return [int(track["frames"]) for track in tracks]


def measure_server(clip: Path, streams: int, warmup_s: float, window_s: float) -> Measurement:
    """Courtcast recording N cameras; frames are those stored (2 s segment granularity)."""
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-bench-") as tmp,
        running_server(Path(tmp) / "data") as server,
    ):
        assert server.process is not None
        recording_id, urls, _ = asyncio.run(_prepare_recording(server, streams))
        control, child_control = context.Pipe()
        publisher = context.Process(
            target=publisher_process,
            args=(str(clip), streams, child_control, urls, server.admin_token, None),
            daemon=True,
        )
        publisher.start()
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            try:
                _await_connected(control, "server")
                time.sleep(warmup_s)
                watched = psutil.Process(server.process.pid)
                frames_before = _stored_frames(client, recording_id)
                cpu_before, started = _cpu_s(watched), time.monotonic()
                time.sleep(window_s)
                cpu_after, ended = _cpu_s(watched), time.monotonic()
                rss = int(watched.memory_info().rss)
                frames_after = _stored_frames(client, recording_id)
                stopped = client.post(f"/api/v1/recordings/{recording_id}/stop")
            finally:
                control.send("stop")
                _finish(publisher)
        if stopped.status_code != 200:
            raise RuntimeError(f"stop answered {stopped.status_code}: {stopped.text}")
        tracks = stopped.json()["tracks"]
        result = Measurement(
            streams=streams,
            cpu_s=cpu_after - cpu_before,
            window_s=ended - started,
            rss_bytes=rss,
            frames=[b - a for a, b in zip(frames_before, frames_after, strict=True)],
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
    signalling_publisher, signalling_receiver = context.Pipe()
    publisher_control, publisher_child = context.Pipe()
    receiver_control, receiver_child = context.Pipe()
    receiver = context.Process(
        target=receiver_process, args=(signalling_receiver, receiver_child), daemon=True
    )
    publisher = context.Process(
        target=publisher_process,
        args=(str(clip), streams, publisher_child, None, None, signalling_publisher),
        daemon=True,
    )
    receiver.start()
    publisher.start()

    def counts() -> list[int]:
        receiver_control.send("count")
        reply = receiver_control.recv()
        if isinstance(reply, tuple):
            raise RuntimeError(f"baseline receiver failed:\n{reply[1]}")
        return list(reply)

    try:
        _await_connected(publisher_control, "baseline")
        time.sleep(warmup_s)
        assert receiver.pid is not None
        watched = psutil.Process(receiver.pid)
        frames_before = counts()
        cpu_before, started = _cpu_s(watched), time.monotonic()
        time.sleep(window_s)
        cpu_after, ended = _cpu_s(watched), time.monotonic()
        rss = int(watched.memory_info().rss)
        frames_after = counts()
    finally:
        receiver_control.send("stop")
        publisher_control.send("stop")
        _finish(publisher)
        _finish(receiver)
    return Measurement(
        streams=streams,
        cpu_s=cpu_after - cpu_before,
        window_s=ended - started,
        rss_bytes=rss,
        frames=[b - a for a, b in zip(frames_before, frames_after, strict=True)],
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(rows: Sequence[tuple[Measurement, Measurement]], window_s: float) -> None:
    """The table, the frames each side handled, and the goals."""
    print()
    print(f"Ingest CPU, % of one core per stream, over a {window_s:g} s window")
    header = (
        f"{'publishers':>10} | {'server %/stream':>15} | {'server RSS MB':>13} | "
        f"{'baseline %/stream':>17} | {'baseline RSS MB':>15} | {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for server, baseline in rows:
        ratio = server.cpu_s / baseline.cpu_s if baseline.cpu_s > 0 else float("inf")
        print(
            f"{server.streams:>10} | {server.cpu_percent_per_stream:>15.2f} | "
            f"{server.rss_mb:>13.0f} | {baseline.cpu_percent_per_stream:>17.2f} | "
            f"{baseline.rss_mb:>15.0f} | {ratio:>5.2f}"
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
        print(
            f"  N={server.streams}: per stream {per_stream:.2f} % "
            f"{_verdict(per_stream <= GOAL_CPU_PER_STREAM)}; "
            f"ratio {ratio:.2f} {_verdict(ratio <= GOAL_RATIO)}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--publishers", default="1,4,8", help="comma-separated counts")
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
