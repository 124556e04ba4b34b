"""The per-packet receive path of a publisher's connection: SRTP datagrams in, frames out.

aiortc handles each media packet in three hops (aioice's queue, the DTLS transport's
reader task, the receiver's `_handle_rtp_packet` coroutine), tries to parse it as STUN
first and feeds a receive-side bandwidth estimator. The recorder needs none of that, so
for receivers whose frames are diverted before the decoder (streaming/passthrough.py)
each SRTP packet is handled here, synchronously in the socket callback: decrypt, parse,
RTX unwrap, NACK, depayload, jitter buffer, PLI, and each complete frame handed to the
same place aiortc would have put it. Everything else (DTLS, SRTCP, packets for
receivers that decode) still goes aiortc's way.

`ReceivePath` is the whole interface: a native implementation (batched reads, SRTP in
place, C jitter buffer) can replace `PythonReceivePath` in `install_receive_path`
without the recorder or the relay noticing: they only ever see frames.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

import pylibsrtp
from aiortc import RTCRtpReceiver, clock
from aiortc.codecs import depayload, is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket, is_rtcp, unwrap_rtx

from streaming.aiortc_hooks import (
    ReceiverState,
    SrtpInput,
    handle_rtp_packet,
    send_nack,
    send_pli,
    take_datagrams,
)

log = logging.getLogger(__name__)


class ReceivePath(Protocol):
    """Takes a connection's datagrams and turns the media ones into frames."""

    def datagram(self, data: bytes) -> bool:
        """Handle one datagram; False: not one this path handles (aiortc then does)."""
        ...


ReceivePathFactory = Callable[[RTCDtlsTransport], ReceivePath]


class _Receiver:
    """One receiver's share of the path, on aiortc's own state objects."""

    def __init__(self, receiver: RTCRtpReceiver, state: ReceiverState) -> None:
        assert state.frames is not None
        self.receiver = receiver
        self.state = state
        self.put_frame = state.frames.put
        self.current_ssrc: int | None = None

    def packet(self, packet: RtpPacket, spawn: Callable[[Coroutine[Any, Any, None]], None]) -> None:
        """What aiortc 1.16.0's `_handle_rtp_packet` does, minus the bitrate estimator, with
        RTCP feedback sent from a task (rare) instead of awaited per packet."""
        state = self.state
        codec = state.codecs.get(packet.payload_type)
        if codec is None:
            return
        stats = state.remote_streams.get(packet.ssrc)
        if stats is None:
            stats = state.remote_streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)
        if is_rtx(codec):
            original_ssrc = state.rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in state.codecs:
                return
            assert isinstance(apt, int)
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = state.codecs[apt]
        nack = state.nack_generator
        if nack is not None and nack.add(packet):
            spawn(send_nack(self.receiver, packet.ssrc, sorted(nack.missing)))
        try:
            packet._data = depayload(codec, packet.payload) if packet.payload else b""  # type: ignore[attr-defined]
        except ValueError:
            return
        pli, frame = state.jitter_buffer.add(packet)
        if pli:
            spawn(send_pli(self.receiver, packet.ssrc))
        if frame is not None:
            # synchronization sources are read by the second: once per frame is enough
            state.active_ssrc[packet.ssrc] = clock.current_datetime()
            self.put_frame((codec, frame))


class PythonReceivePath:
    """`ReceivePath` in Python: one synchronous call per SRTP packet, no queue, no await."""

    def __init__(self, transport: RTCDtlsTransport) -> None:
        self._input = SrtpInput(transport)
        self._receivers: dict[RTCRtpReceiver, _Receiver | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def datagram(self, data: bytes) -> bool:
        if not 127 < data[0] < 192 or is_rtcp(data):
            return False  # DTLS, SRTCP: aiortc's reader task handles those
        srtp = self._input.session()
        if srtp is None:
            return False  # handshake not done yet
        try:
            packet = RtpPacket.parse(srtp.unprotect(data), self._input.extensions)
        except (pylibsrtp.Error, ValueError):
            return True  # undecryptable or malformed: dropped, as aiortc does
        receiver = self._input.route(packet)
        if receiver is None:
            return True
        if receiver not in self._receivers:
            self._receivers[receiver] = self._take(receiver)
        target = self._receivers[receiver]
        if target is None:  # a decoding receiver: aiortc's own handler, in order
            self._spawn(handle_rtp_packet(receiver, packet, clock.current_ms()))
            return True
        try:
            target.packet(packet, self._spawn)
        except Exception:  # one bad packet must not stop the connection's other streams
            log.exception("dropped an RTP packet that could not be handled")
        return True

    @staticmethod
    def _take(receiver: RTCRtpReceiver) -> _Receiver | None:
        state = ReceiverState.of(receiver)
        return _Receiver(receiver, state) if state.frames is not None else None

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def install_receive_path(
    transports: Iterable[RTCDtlsTransport], factory: ReceivePathFactory = PythonReceivePath
) -> None:
    """Put a receive path in front of each DTLS transport (once the answer is set)."""
    for transport in set(transports):
        take_datagrams(transport, factory(transport).datagram)
