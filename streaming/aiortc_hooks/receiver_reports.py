"""Receiver reports sent together: one RTCP RR per connection at aiortc's interval, with a
report block for every stream its receivers get, all connections' RRs in one wake-up.

aiortc 1.16.0 runs a task per receiver (`RTCRtpReceiver._run_rtcp`) that sends an RR every
0.5-1.5 s; a camera publishing video and audio over one bundled connection got two packets,
each from its own timer, where one with two report blocks says the same (RFC 3550 6.4.2;
libwebrtc and aiortc route each block to the sender it names). What each costs the event
loop is far more than its bytes (the code runs cold, once a second): a recording server
sending no receiver reports at all used 0.933-0.962x the CPU of one sending aiortc's
(`bench.ingest_ab`, 8 cameras each, two runs of three rounds).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket

from streaming.aiortc_hooks._patching import patched
from streaming.aiortc_hooks.receiving import REMOTE_STREAMS

# RTCRtpReceiver's name-mangled attributes (aiortc 1.16.0, set in its __init__)
LAST_SR = "_RTCRtpReceiver__lsr"  # media SSRC -> middle 32 bits of its last SR's NTP time
LAST_SR_AT = "_RTCRtpReceiver__lsr_time"  # media SSRC -> time.time() when that SR came
RTCP_SSRC = "_RTCRtpReceiver__rtcp_ssrc"
RTCP_STARTED = "_RTCRtpReceiver__rtcp_started"
RTCP_EXITED = "_RTCRtpReceiver__rtcp_exited"
MAX_BLOCKS = 31  # an RR's report count is five bits
log = logging.getLogger(__name__)


class _Reporter:
    """Every connection's RRs on one event loop, sent in one wake-up at aiortc's interval:
    one timer a second for the process, not one per receiver."""

    def __init__(self) -> None:
        self._connections: list[_ConnectionReports] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, connection: _ConnectionReports) -> None:
        self._connections.append(connection)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="receiver reports")

    def remove(self, connection: _ConnectionReports) -> None:
        self._connections.remove(connection)
        if not self._connections and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            # aiortc's interval: 0.5-1.5 times the 1 s it calculates (RFC 3550 6.3.1)
            await asyncio.sleep(0.5 + random.random())
            for connection in list(self._connections):
                try:
                    await connection.send()
                except Exception:  # one connection's trouble must not end the others' reports
                    log.exception("a receiver report could not be sent")


_reporters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Reporter] = (
    weakref.WeakKeyDictionary()
)


class _ConnectionReports:
    """The RRs of one DTLS transport's receivers, sent while any of them runs."""

    def __init__(self, transport: RTCDtlsTransport) -> None:
        self._transport = transport
        self._receivers: list[RTCRtpReceiver] = []

    def join(self, receiver: RTCRtpReceiver) -> None:
        self._receivers.append(receiver)
        if len(self._receivers) == 1:
            _reporters.setdefault(asyncio.get_running_loop(), _Reporter()).add(self)

    def leave(self, receiver: RTCRtpReceiver) -> None:
        self._receivers.remove(receiver)
        if not self._receivers:
            _reporters[asyncio.get_running_loop()].remove(self)

    async def send(self) -> None:
        """One RR (more past 31 streams) from the first receiver's RTCP SSRC."""
        sources = (getattr(receiver, RTCP_SSRC) for receiver in self._receivers)
        ssrc: int | None = next((source for source in sources if source is not None), None)
        if ssrc is None:  # set with the answer: never missing once receivers run
            return
        blocks = [block for receiver in self._receivers for block in _report_blocks(receiver)]
        for first in range(0, len(blocks), MAX_BLOCKS):
            packet = RtcpRrPacket(ssrc=ssrc, reports=blocks[first : first + MAX_BLOCKS])
            try:
                await self._transport._send_rtp(bytes(packet))
            except ConnectionError:  # the connection is going: its receivers stop next
                return


def _report_blocks(receiver: RTCRtpReceiver) -> list[RtcpReceiverInfo]:
    """What aiortc's `_run_rtcp` reports for each stream the receiver gets."""
    last_sr, last_sr_at = getattr(receiver, LAST_SR), getattr(receiver, LAST_SR_AT)
    blocks = []
    for ssrc, stream in getattr(receiver, REMOTE_STREAMS).items():
        lsr = dlsr = 0
        if ssrc in last_sr:
            lsr = last_sr[ssrc]
            delay = time.time() - last_sr_at[ssrc]
            if 0 < delay < 65536:
                dlsr = int(delay * 65536)
        blocks.append(
            RtcpReceiverInfo(
                ssrc=ssrc,
                fraction_lost=stream.fraction_lost,
                packets_lost=stream.packets_lost,
                highest_sequence=stream.max_seq,
                jitter=stream.jitter,
                lsr=lsr,
                dlsr=dlsr,
            )
        )
    return blocks


def report_together(receivers: Iterable[RTCRtpReceiver]) -> None:
    """Before they start receiving: each transport's receivers send their RRs together.

    Each receiver's own RTCP task (started by `receive()`, cancelled by `stop()`, which
    waits for its started and exited events) only joins its transport's reports and
    leaves them when cancelled.
    """
    connections: dict[RTCDtlsTransport, _ConnectionReports] = {}
    for receiver in receivers:
        reports = connections.setdefault(receiver.transport, _ConnectionReports(receiver.transport))
        receiver._run_rtcp = patched(  # type: ignore[method-assign]
            _joining(receiver, reports), type(receiver)._run_rtcp
        )


def _joining(
    receiver: RTCRtpReceiver, reports: _ConnectionReports
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run_rtcp() -> None:
        getattr(receiver, RTCP_STARTED).set()
        reports.join(receiver)
        try:
            await asyncio.get_running_loop().create_future()  # until stop() cancels it
        finally:  # stop() waits for the exited event, not for this task
            reports.leave(receiver)
            getattr(receiver, RTCP_EXITED).set()

    return run_rtcp
