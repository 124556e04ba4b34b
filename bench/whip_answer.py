"""WHIP answer time: offer POSTed to 201 with the answer, 100 publishers one after another.

    .venv/bin/python -m bench.whip_answer [--publishers 100] [--rooms 4]

A real server on its embedded defaults (SQLite, local objects; PostgreSQL with
COURTCAST_TEST_POSTGRES=host:port) with `--rooms` courtrooms sharing `--publishers` cameras,
each camera with its own camera token. Each publisher is an aiortc peer offering H.264 and
Opus (sendonly, no media: the answer does not wait for any), its ICE gathering done before
the clock starts; the time is the client's, from the POST to the 201 with the answer.

Three runs over the same cameras, in this order:
- floor: the same offers answered in this process by a bare aiortc RTCPeerConnection
  (setRemoteDescription, createAnswer, setLocalDescription), what aiortc itself costs;
- closed: each publisher is answered, then DELETEd at once (the server carries none);
- kept: each publisher is answered, completes ICE and DTLS and stays connected, so the
  server carries the earlier ones when the next arrives (first 10 against last 10 shows it).
An HTTP round trip (OPTIONS on the WHIP URL) is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from urllib.parse import urljoin

import httpx
import psutil  # type: ignore[import-untyped]
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from bench.search import percentile
from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from tests.support.fixtures_api import create_courtroom
from tests.support.server import running_server

OFFERED = {"video": ("video/h264", "video/rtx"), "audio": ("audio/opus",)}
CONNECT_TIMEOUT_S = 30.0


async def new_offer() -> tuple[RTCPeerConnection, str]:
    """A publisher's peer and its offer, ICE candidates gathered (as WHIP sends it)."""
    pc = RTCPeerConnection(rtc_configuration())
    for kind, wanted in OFFERED.items():
        transceiver = pc.addTransceiver(kind, direction="sendonly")
        capabilities = RTCRtpSender.getCapabilities(kind)
        transceiver.setCodecPreferences(
            [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
        )
    await pc.setLocalDescription(await pc.createOffer())
    sdp: str = pc.localDescription.sdp
    return pc, sdp


async def bare_answer(offer: str) -> tuple[float, float]:
    """Milliseconds (wall, CPU) a bare aiortc peer takes to answer `offer`, as the server's."""
    pc = RTCPeerConnection(rtc_configuration())
    started, cpu = time.perf_counter(), time.process_time()
    for kind in OFFERED:
        pc.addTransceiver(kind, direction="recvonly")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    elapsed = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    await pc.close()
    return elapsed


async def post_offer(
    client: httpx.AsyncClient, url: str, token: str, offer: str
) -> tuple[float, str, str]:
    """(milliseconds to the 201, answer, resource URL)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"}
    started = time.perf_counter()
    response = await client.post(url, content=offer.encode(), headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 201:
        raise RuntimeError(f"WHIP POST {url} answered {response.status_code}: {response.text}")
    return elapsed, response.text, urljoin(url, response.headers["Location"])


async def connected(pc: RTCPeerConnection) -> float:
    started = time.perf_counter()
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while pc.connectionState != "connected":
        if time.monotonic() > deadline or pc.connectionState in ("failed", "closed"):
            raise RuntimeError(f"a publisher did not connect: {pc.connectionState}")
        await asyncio.sleep(0.005)
    return (time.perf_counter() - started) * 1000


async def run_publishers(
    client: httpx.AsyncClient, cameras: list[tuple[str, str]], *, keep: bool
) -> tuple[list[float], list[float]]:
    """Answer times (ms) and, when kept, the time from the answer to 'connected'."""
    answered: list[float] = []
    connecting: list[float] = []
    held: list[tuple[RTCPeerConnection, str, str]] = []
    try:
        for url, token in cameras:
            pc, offer = await new_offer()
            elapsed, answer, resource = await post_offer(client, url, token, offer)
            answered.append(elapsed)
            held.append((pc, resource, token))
            if keep:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                connecting.append(await connected(pc))
            else:
                await release(client, held.pop())
    finally:
        for item in held:
            await release(client, item)
    return answered, connecting


async def release(client: httpx.AsyncClient, item: tuple[RTCPeerConnection, str, str]) -> None:
    pc, resource, token = item
    await client.delete(resource, headers={"Authorization": f"Bearer {token}"})
    await pc.close()


async def cameras_of(
    client: httpx.AsyncClient, base_url: str, rooms: int, count: int
) -> list[tuple[str, str]]:
    """(WHIP URL, camera token) for `count` cameras spread over `rooms` courtrooms."""
    per_room = -(-count // rooms)
    found: list[tuple[str, str]] = []
    for _ in range(rooms):
        names = [f"cam{n + 1}" for n in range(per_room)]
        room = await create_courtroom(client, names)
        for camera in room.cameras:
            body = {"role": "camera", "name": camera, "courtroom_ids": [room.id], "camera": camera}
            created = await client.post("/api/v1/tokens", json=body)
            created.raise_for_status()
            found.append((f"{base_url}/whip/{room.id}/{camera}", created.json()["token"]))
    return found[:count]


def row(label: str, values: list[float]) -> str:
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    first, last = statistics.median(values[:10]), statistics.median(values[-10:])
    return f"{label:34} {p50:>7.1f} {p95:>7.1f} {max(values):>7.1f} {first:>9.1f} {last:>8.1f}"


def cpu_ms(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system) * 1000


async def measure(
    base_url: str, admin_token: str, server: psutil.Process, publishers: int, rooms: int
) -> None:
    install_codecs()
    install_host_addresses([LOOPBACK])
    admin = {"Authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=admin, timeout=60) as client:
        cameras = await cameras_of(client, base_url, rooms, publishers)
        await run_publishers(client, cameras[:3], keep=False)  # warm-up: imports, first peers
        floor = []
        for _ in cameras:
            pc, offer = await new_offer()
            floor.append(await bare_answer(offer))
            await pc.close()
        http = await timed_many(lambda: client.options(cameras[0][0]), 20)
        cpu_before = cpu_ms(server)
        closed, _ = await run_publishers(client, cameras, keep=False)
        server_cpu = (cpu_ms(server) - cpu_before) / len(cameras)
        kept, connecting = await run_publishers(client, cameras, keep=True)
    print(f"\n{publishers} publishers one after another, {rooms} courtrooms (ms)")
    print(f"{'':34} {'p50':>7} {'p95':>7} {'max':>7} {'first 10':>9} {'last 10':>8}")
    print(row("floor: bare aiortc answer", [wall for wall, _ in floor]))
    print(row("HTTP round trip (OPTIONS)", http))
    print(row("WHIP answer, each closed at once", closed))
    print(row("WHIP answer, all kept connected", kept))
    print(row("  then answer -> connected", connecting))
    p95 = percentile(kept, 0.95)
    ratio = statistics.median(kept) / statistics.median([wall for wall, _ in floor])
    floor_cpu = statistics.mean(cpu for _, cpu in floor)
    print(
        f"\nCPU per publisher: server {server_cpu:.1f} ms (POST answered, then DELETE), "
        f"bare aiortc answer {floor_cpu:.1f} ms"
    )
    print(
        f"\nWHIP answer p95 {p95:.1f} ms with all kept (goal 50 ms); "
        f"median ratio to the bare aiortc floor {ratio:.2f}"
    )


async def timed_many(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--publishers", type=int, default=100)
    parser.add_argument("--rooms", type=int, default=4)
    args = parser.parse_args(argv)
    # 3 warm-up + 2 runs of every camera inside a few minutes, from one address
    limit = {"COURTCAST_MAX_WHIP_ATTEMPTS_PER_MINUTE": str(3 * args.publishers + 10)}
    with tempfile.TemporaryDirectory(prefix="courtcast-whip-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with running_server(data, limit) as server:
            assert server.process is not None
            process = psutil.Process(server.process.pid)
            asyncio.run(
                measure(server.base_url, server.admin_token, process, args.publishers, args.rooms)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
