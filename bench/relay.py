"""WHEP relay benchmark: server CPU per viewer of one camera, and glass-to-glass latency.

Run: `.venv/bin/python -m bench.relay` (about 2 minutes; `--viewers 10,50,100`;
`--workers 1,2` also runs each count on `serve --workers 2`, on a PostgreSQL started here)

For each viewer count N a fresh Courtcast server gets one 720p30 ~2.5 Mbit/s camera (the
ingest benchmark's clip, published untouched from a separate process). The server's CPU
(user + system, all threads, psutil) is taken over a window with no viewer, then over a
window with N viewers; per viewer = (with - without) / N, and also with / N.

Viewers are aiortc peers in separate processes. N - 1 of them receive lean: full ICE, DTLS and
SRTCP, but incoming SRTP packets are only counted from their clear RTP header as they come off
the ICE socket (no decryption, no jitter buffer, not even aioice's queue), so 100 of them fit
beside the server on two cores; the server does its full work for each. Lean viewers never
decode (before their counter is swapped in, at the moment each connects, their decoder is a
no-op) and connect a few at a time: decoding until the last of 25 had connected starved the
viewer processes, which then stopped answering ICE consent checks, and that looked like a
server that stopped. Each counts the video frames it was sent (marker bits of the video
payload type), which shows whether the server kept up.

One more viewer decodes (aiortc's decoder) and reads the frame number drawn in each
picture; the publisher notes the wall-clock time it hands each frame to its RTP sender.
Glass-to-glass latency on loopback = decode time - send time of the same frame number.
With worker processes the viewers are spread over the workers' URLs (one viewer process
each, in turn), as the shared port spreads browsers: those reaching a worker not holding the
courtroom are served there from its mirror of the camera (court/live/mirrors.py); the decoding
viewer always watches through such a worker. Server CPU is then the supervisor's and every
worker's, and the busiest process is printed beside it.
Nothing asserts: it prints figures beside their goals.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import statistics
import tempfile
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]

from bench.capacity import postgres_if
from bench.ingest import clip_for, describe_clip
from bench.ingest_peers import Clip, Publisher
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer, running_server

LEAN_PER_PROCESS = 25
CONNECT_BATCH = 5  # concurrent WHEP connects per viewer process
WARMUP_S = 3.0
WINDOW_S = 10.0
IDLE_WINDOW_S = 5.0
CONNECT_TIMEOUT_S = 60.0
CLIP_S = 35  # cached by bench.ingest: connect + idle + warm-up + window fit inside
GOAL_VIEWERS_PER_CORE = 200  # issue 15 (100 before it)
GOAL_LATENCY_MS = 150.0


# --- child: the publisher, noting when each frame goes to its sender --------------------------


async def _publish(clip: Path, url: str, token: str, control: Connection) -> None:
    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses

    install_codecs()
    install_host_addresses([LOOPBACK])
    publisher = Publisher(Clip(clip))
    sent: list[float] = []  # wall-clock time frame n was handed to the RTP sender
    video = publisher.video
    recv = video.recv

    async def timed_recv() -> Any:
        packet = await recv()
        sent.append(time.time())
        return packet

    video.recv = timed_recv
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"}
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:  # to the holder
        response = await client.post(
            url, content=(await publisher.offer()).encode(), headers=headers
        )
        if response.status_code != 201:
            raise RuntimeError(f"WHIP POST answered {response.status_code}: {response.text}")
        await publisher.accept(response.text)
        control.send(("connected", None))
        await asyncio.to_thread(control.recv)  # "stop"
        control.send(("sent", sent))
        await publisher.close()


def publisher_process(clip: str, url: str, token: str, control: Connection) -> None:
    try:
        asyncio.run(_publish(Path(clip), url, token, control))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise


# --- child: viewers ----------------------------------------------------------------------------


class _RtpCounter:
    """Takes the viewer's RTP off its ICE sockets as it arrives: counts, never decrypts.

    aiortc hands every datagram through aioice's STUN parse, a queue and the DTLS
    transport's task before it could even be dropped (tens of microseconds each, in
    the viewer's process); at 100 viewers that starved the viewer processes on the
    two cores the server is measured on, and late viewers looked like a late server.
    STUN (consent) and RTCP still take aiortc's way."""

    def __init__(self, video_payload_type: int) -> None:
        self._video_pt = video_payload_type
        self.frames = 0

    def wrap(self, protocol: Any) -> None:
        """Counts and drops RTP before `protocol` (aioice's StunProtocol) sees it."""
        original = protocol.datagram_received

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            # RFC 7983: 128-191 is RTP or RTCP; RFC 5761: RTCP packet types 192-223
            if len(data) >= 12 and 128 <= data[0] <= 191 and not 192 <= data[1] <= 223:
                if data[1] & 0x80 and data[1] & 0x7F == self._video_pt:  # a frame's last
                    self.frames += 1
                return
            original(data, addr)

        protocol.datagram_received = datagram_received


class _NoDecoder:
    """The lean viewers' decoder until their counter is in: nothing decoded, nothing queued."""

    def decode(self, encoded_frame: Any) -> list[Any]:
        return []


def _install_no_decoder() -> None:
    """Lean processes never decode, not even in the moments before their counter is swapped
    in (25 aiortc H.264 decoders at 720p30 starved the viewer processes on two cores)."""
    import aiortc.rtcrtpreceiver

    aiortc.rtcrtpreceiver.get_decoder = lambda codec: _NoDecoder()  # type: ignore[assignment,return-value]


class LeanViewer:
    """A real WHEP peer whose media is counted at the packet level instead of decoded."""

    def __init__(self, url: str) -> None:
        from aiortc import RTCPeerConnection

        from streaming.ice import rtc_configuration

        self.url = url
        self.pc: Any = RTCPeerConnection(rtc_configuration())
        self.counter: _RtpCounter | None = None
        self.resource_url = ""
        self.connect_s: float | None = None  # POST sent -> connected

    async def start(self, client: httpx.AsyncClient) -> None:
        from aiortc import RTCSessionDescription

        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        posted = time.monotonic()

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            if self.pc.connectionState == "connected" and self.counter is None:
                self.connect_s = time.monotonic() - posted
                self.count_without_decrypting()

        response = await client.post(
            self.url,
            content=self.pc.localDescription.sdp.encode(),
            headers={"Content-Type": "application/sdp"},
        )
        if response.status_code != 201:
            raise RuntimeError(f"WHEP POST answered {response.status_code}: {response.text}")
        self.resource_url = str(response.url.join(response.headers["Location"]))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

    def count_without_decrypting(self) -> None:
        """As soon as DTLS is done: count on the ICE sockets (video payload type from the
        answer)."""
        video = next(t for t in self.pc.getTransceivers() if t.kind == "video")
        self.counter = _RtpCounter(video._codecs[0].payloadType)
        for protocol in video.receiver.transport.transport._connection._protocols:
            self.counter.wrap(protocol)

    @property
    def frames(self) -> int:
        return self.counter.frames if self.counter else 0


async def _wait_connected(pcs: list[Any]) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while any(pc.connectionState != "connected" for pc in pcs):
        if time.monotonic() > deadline:
            raise RuntimeError(f"viewers did not connect: {[pc.connectionState for pc in pcs]}")
        await asyncio.sleep(0.05)


async def _view(url: str, count: int, decode: bool, control: Connection) -> None:
    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses
    from tests.support.viewer import WhepClient

    install_codecs()
    install_host_addresses([LOOPBACK])
    if decode:
        decoder = WhepClient(url, read_numbers=True)
        await decoder.start()
        await asyncio.sleep(0.5)
        control.send(("connected", None))
        while (command := await asyncio.to_thread(control.recv)) != "stop":
            control.send([decoder.video_frames])
        control.send(("numbers", decoder.numbers))
        await decoder.close()
        return
    _install_no_decoder()
    viewers = [LeanViewer(url) for _ in range(count)]
    async with httpx.AsyncClient(timeout=30) as client:
        for first in range(0, count, CONNECT_BATCH):  # a few handshakes at a time
            batch = viewers[first : first + CONNECT_BATCH]
            await asyncio.gather(*(viewer.start(client) for viewer in batch))
            await _wait_connected([viewer.pc for viewer in batch])
        control.send(("connected", [viewer.connect_s for viewer in viewers]))
        while (command := await asyncio.to_thread(control.recv)) != "stop":
            assert command == "count"
            control.send([viewer.frames for viewer in viewers])
        control.send(("numbers", []))
        for viewer in viewers:
            await client.delete(viewer.resource_url)
    await asyncio.gather(*(viewer.pc.close() for viewer in viewers))


def viewer_process(url: str, count: int, decode: bool, control: Connection) -> None:
    try:
        asyncio.run(_view(url, count, decode, control))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise


# --- the parent --------------------------------------------------------------------------------


@dataclass
class Round:
    viewers: int
    workers: int
    idle_cpu_percent: float
    cpu_percent: float
    busiest_percent: float  # the busiest server process: near 100 it is saturated
    fps_per_viewer: list[float]
    latencies_ms: list[float]
    connect_s: list[float]

    @property
    def per_viewer(self) -> float:
        return self.cpu_percent / self.viewers

    @property
    def marginal_per_viewer(self) -> float:
        return (self.cpu_percent - self.idle_cpu_percent) / self.viewers


def _expect(control: Connection, what: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    if not control.poll(timeout):
        raise RuntimeError(f"{what}: no answer within {timeout} s")
    message = control.recv()
    if isinstance(message, tuple) and message[0] == "error":
        raise RuntimeError(f"{what} failed:\n{message[1]}")
    return message


def _cpu_percent(process: psutil.Process, seconds: float) -> tuple[float, float]:
    """% of a core the server used over `seconds`: all of it (the supervisor and each worker
    process with `--workers`), and its busiest process."""
    tree = [process, *process.children(recursive=True)]

    def cpu() -> list[float]:
        times = []
        for member in tree:
            try:
                used = member.cpu_times()
                times.append(used.user + used.system)
            except psutil.Error:  # a worker gone meanwhile: the run says so by its frames
                times.append(0.0)
        return times

    before, started = cpu(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = cpu(), time.monotonic() - started
    used = [100.0 * (b - a) / elapsed for a, b in zip(before, after, strict=True)]
    return sum(used), max(used)


async def _prepare(server: RunningServer, workers: int) -> tuple[str, str, list[str]]:
    """The camera's WHIP URL, the hearing's WHEP path, and each worker's URL (the server's
    own with one process): viewers are spread over them, as a shared port spreads browsers."""
    async with server.client() as client:
        deadline = time.monotonic() + 60
        while len(nodes := (await client.get("/api/v1/nodes")).json()) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not all start:\n{server.log_tail()}")
            await asyncio.sleep(0.2)
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        # viewers watch a hearing in session: its courtroom's feeds are its own
        opened = await client.patch(f"/api/v1/hearings/{hearing_id}", json={"status": "in_session"})
        if opened.status_code != 200:
            raise RuntimeError(f"opening the hearing answered {opened.status_code}: {opened.text}")
    urls = [node["url"] for node in nodes] if workers > 1 else [server.base_url]
    return f"{server.base_url}/whip/{courtroom.id}/bench", f"/whep/{hearing_id}/bench", urls


async def _holder_last(server: RunningServer, courtroom_of: str, urls: list[str]) -> list[str]:
    """The worker URLs, the one holding the camera's courtroom last (the decoding viewer,
    given the first, then watches through a mirror: the longer way)."""
    async with server.client() as client:
        nodes = (await client.get("/api/v1/nodes")).json()
    holding = {node["url"] for node in nodes if courtroom_of in node["courtrooms"]}
    return sorted(urls, key=lambda url: url in holding)


def measure(clip: Path, viewers: int, workers: int) -> Round:
    context = multiprocessing.get_context("spawn")
    env = {"COURTCAST_MAX_WHEP_PER_ADDRESS": str(viewers + 1)}  # every viewer is 127.0.0.1
    if workers > 1:
        env |= {"COURTCAST_WORKERS": str(workers), "COURTCAST_WORKER_PORT": "0"}
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-relay-") as tmp,
        running_server(Path(tmp) / "data", env) as server,
    ):
        assert server.process is not None
        watched = psutil.Process(server.process.pid)
        whip_url, whep_path, urls = asyncio.run(_prepare(server, workers))
        publisher_control, child = context.Pipe()
        children = [
            context.Process(
                target=publisher_process,
                args=(str(clip), whip_url, server.admin_token, child),
                daemon=True,
            )
        ]
        children[0].start()
        viewer_controls: list[Connection] = []
        try:
            _expect(publisher_control, "publisher")
            courtroom_id = whip_url.rsplit("/", 2)[1]
            urls = asyncio.run(_holder_last(server, courtroom_id, urls))
            time.sleep(WARMUP_S)
            idle, _ = _cpu_percent(watched, IDLE_WINDOW_S)
            lean = viewers - 1
            sizes = [lean // math.ceil(lean / LEAN_PER_PROCESS)] * math.ceil(
                lean / LEAN_PER_PROCESS
            )
            for index in range(lean - sum(sizes)):
                sizes[index] += 1
            groups = [(1, True), *((size, False) for size in sizes)]
            for index, (count, decode) in enumerate(groups):
                control, child = context.Pipe()
                whep_url = urls[index % len(urls)] + whep_path
                process = context.Process(
                    target=viewer_process, args=(whep_url, count, decode, control), daemon=True
                )
                process.start()
                children.append(process)
                viewer_controls.append(child)
            connect_s: list[float] = []
            for control in viewer_controls:
                connect_s += [t for t in _expect(control, "viewers")[1] or [] if t is not None]
            time.sleep(WARMUP_S)
            before = _counts(viewer_controls)
            started = time.monotonic()
            cpu, busiest = _cpu_percent(watched, WINDOW_S)
            after = _counts(viewer_controls)
            elapsed = time.monotonic() - started
            numbers: list[tuple[int, float]] = []
            for control in viewer_controls:
                control.send("stop")
                numbers += _expect(control, "viewers")[1]
            publisher_control.send("stop")
            sent: list[float] = _expect(publisher_control, "publisher")[1]
            if min(b - a for a, b in zip(before, after, strict=True)) < 0.5 * WINDOW_S * 30:
                print(f"!! some viewers got few frames; server log (tail):\n{server.log_tail(40)}")
        finally:
            for process in children:
                process.join(timeout=20)
                if process.is_alive():
                    process.terminate()
    latencies = [
        1000.0 * (decoded - sent[number]) for number, decoded in numbers if number < len(sent)
    ]
    return Round(
        viewers=viewers,
        workers=workers,
        idle_cpu_percent=idle,
        cpu_percent=cpu,
        busiest_percent=busiest,
        fps_per_viewer=[(b - a) / elapsed for a, b in zip(before, after, strict=True)],
        latencies_ms=latencies,
        connect_s=connect_s,
    )


def _counts(controls: list[Connection]) -> list[int]:
    counts: list[int] = []
    for control in controls:
        control.send("count")
        counts += _expect(control, "viewers")
    return counts


def report(result: Round) -> None:
    fps = result.fps_per_viewer
    latency = sorted(result.latencies_ms)
    p95 = latency[int(0.95 * (len(latency) - 1))] if latency else math.nan
    median = statistics.median(latency) if latency else math.nan
    connect = result.connect_s
    connect_median = statistics.median(connect) if connect else math.nan
    print(
        f"{result.viewers:>4} viewers, {result.workers} worker(s) | "
        f"server {result.cpu_percent:6.1f}% (busiest process {result.busiest_percent:5.1f}%, "
        f"no viewer {result.idle_cpu_percent:4.1f}%) | "
        f"{result.per_viewer:5.2f}%/viewer, marginal {result.marginal_per_viewer:5.2f}% "
        f"-> {100 / result.marginal_per_viewer:5.0f} viewers/core | "
        f"fps sent per viewer min {min(fps):4.1f} median {statistics.median(fps):4.1f} | "
        f"latency median {median:5.0f} ms p95 {p95:5.0f} ms ({len(latency)} frames) | "
        f"connect median {connect_median:4.2f} s max {max(connect, default=math.nan):4.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", default="10,50,100")
    parser.add_argument(
        "--workers", default="1", help="comma-separated worker process counts (2+: PostgreSQL)"
    )
    args = parser.parse_args()
    clip = clip_for(CLIP_S)
    print(describe_clip(clip), flush=True)
    print(
        f"goals: >= {GOAL_VIEWERS_PER_CORE} viewers per core "
        f"(<= {100 / GOAL_VIEWERS_PER_CORE:.1f}% per viewer), "
        f"glass-to-glass <= {GOAL_LATENCY_MS:.0f} ms; {psutil.cpu_count()} cores",
        flush=True,
    )
    worker_counts = [int(n) for n in args.workers.split(",")]
    with postgres_if(any(workers > 1 for workers in worker_counts)):
        for viewers in (int(n) for n in args.viewers.split(",")):
            for workers in worker_counts:
                report(measure(clip, viewers, workers))


if __name__ == "__main__":
    main()
