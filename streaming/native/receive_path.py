"""`NativeReceivePath`: the `ReceivePath` (streaming/receive_path.py) over the C context.

Per datagram one call into C: SRTP unprotect in place with aiortc's own session, RTP parse,
RTX unwrap, NACK bookkeeping, H.264/Opus depayload and frame assembly; Python runs once per
frame (and per NACK or PLI). The first packet of each SSRC comes back decrypted and is routed
here as aiortc would: an H.264 or Opus stream of a receiver whose frames are diverted is then
assembled in C; any other codec (VP8) goes to the Python path's `_Receiver`, a decoding
receiver to aiortc's own handler.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any

import pylibsrtp
from aiortc import RTCRtpReceiver, clock
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket, unwrap_rtx

from streaming.aiortc_hooks import (
    ReceiverState,
    SrtpInput,
    handle_rtp_packet,
    send_nack,
    send_pli,
)
from streaming.aiortc_hooks.borrowed import StatisticsCountedInC
from streaming.native.rx import H264, OPUS, Rx
from streaming.receive_path import _Receiver

NATIVE_CODECS = {"h264": H264, "opus": OPUS}
SOURCE_NOTE_EVERY_S = 1.0
log = logging.getLogger(__name__)


class _Stream:
    """A stream assembled in C, and where its frames and feedback go."""

    def __init__(
        self, receiver: RTCRtpReceiver, state: ReceiverState, codec: RTCRtpCodecParameters
    ) -> None:
        assert state.frames is not None
        self.receiver, self.state, self.codec = receiver, state, codec
        self.put_frame = state.frames.frame
        self.noted_until = -math.inf  # monotonic time until which its source note stands


class NativeReceivePath:
    """`ReceivePath` in C: one call per datagram, Python once per frame."""

    def __init__(self, transport: RTCDtlsTransport) -> None:
        self._input = SrtpInput(transport)
        self._rx = Rx(self)
        self._srtp: pylibsrtp.Session | None = None
        self._streams: dict[int, _Stream] = {}  # media SSRC -> stream assembled in C
        self._python: dict[RTCRtpReceiver, _Receiver | None] = {}  # receivers not done in C
        self._tasks: set[asyncio.Task[None]] = set()

    def datagram(self, data: bytes) -> bool:
        srtp = self._input.session()
        if srtp is None:
            return False  # handshake not done yet: aiortc's way
        if srtp is not self._srtp:  # the first packet (or, were aiortc ever to re-key, a new one)
            self._srtp = srtp
            self._rx.set_session(srtp)
        try:
            return self._rx.feed(data)
        except Exception:  # one bad packet must not stop the connection's other streams
            log.exception("dropped an RTP packet that could not be handled")
            return True

    # what the C context reports

    def frame(self, ssrc: int, payload_type: int, timestamp: int, data: bytes) -> None:
        stream = self._streams[ssrc]
        now = time.monotonic()
        if now >= stream.noted_until:
            stream.noted_until = now + SOURCE_NOTE_EVERY_S
            self._note_source(stream, ssrc)
        stream.put_frame(stream.codec, timestamp, data)

    def _note_source(self, stream: _Stream, ssrc: int) -> None:
        """aiortc's synchronization source (read over a 10 s window: a `datetime` made for
        every frame, 0.25 us each, bought nothing) and, from the stream's first frame, its
        receive statistics (counted in C)."""
        stream.state.active_ssrc[ssrc] = clock.current_datetime()
        if ssrc not in stream.state.remote_streams:
            counters = functools.partial(self._rx.stream_counters, ssrc)
            stream.state.remote_streams[ssrc] = StatisticsCountedInC(
                stream.codec.clockRate, counters
            )

    def nack(self, ssrc: int, lost: list[int]) -> None:
        self._spawn(send_nack(self._streams[ssrc].receiver, ssrc, lost))

    def pli(self, ssrc: int) -> None:
        self._spawn(send_pli(self._streams[ssrc].receiver, ssrc))

    def other(self, data: bytes, addr: tuple[str, int] | None) -> None:
        """`feed` returns False for these instead (take_datagrams passes them to aiortc)."""

    def rtp(self, data: bytes) -> None:
        """A decrypted packet of an SSRC C does not assemble (yet): route it."""
        try:
            packet = RtpPacket.parse(data, self._input.extensions)
        except ValueError:
            return
        stream = self._streams.get(packet.ssrc)
        if stream is not None:  # C has it: registered by an earlier packet of the same read()
            if packet.payload_type == stream.codec.payloadType:
                self._rx.feed_plain(data)
            return  # another payload type on a stream C assembles: dropped
        receiver = self._input.route(packet)
        if receiver is None:
            return
        state = ReceiverState.of(receiver)
        codec = state.codecs.get(packet.payload_type)
        if codec is None:
            return
        if state.frames is not None and self._assemble_in_c(receiver, state, codec, packet, data):
            return
        if receiver not in self._python:
            self._python[receiver] = (
                _Receiver(receiver, state) if state.frames is not None else None
            )
        target = self._python[receiver]
        if target is None:  # a decoding receiver: aiortc's own handler
            self._spawn(handle_rtp_packet(receiver, packet, clock.current_ms()))
        else:
            target.packet(packet, self._spawn)

    def _assemble_in_c(
        self,
        receiver: RTCRtpReceiver,
        state: ReceiverState,
        codec: RTCRtpCodecParameters,
        packet: RtpPacket,
        data: bytes,
    ) -> bool:
        """Register an H.264/Opus stream in C and feed it its first packet; RTX that C did
        not recognise is unwrapped here. False: not for C (the Python path's)."""
        if is_rtx(codec):
            apt = codec.parameters.get("apt")
            if not isinstance(apt, int) or (media := state.codecs.get(apt)) is None:
                return False
            if media.name.lower() not in NATIVE_CODECS:
                return False
            media_ssrc = state.rtx_ssrc.get(packet.ssrc)
            if media_ssrc in self._streams and len(packet.payload) >= 2:
                unwrapped = unwrap_rtx(packet, payload_type=apt, ssrc=media_ssrc)
                self._rx.feed_plain(unwrapped.serialize())
            return True  # before its stream's first packet, or a padding probe: dropped
        kind = NATIVE_CODECS.get(codec.name.lower())
        if kind is None:
            return False
        capacity = 1 << (state.jitter_buffer.capacity - 1).bit_length()  # a power of two
        rtx_ssrc = next((r for r, m in state.rtx_ssrc.items() if m == packet.ssrc), None)
        rtx_pt = next(
            (
                pt
                for pt, c in state.codecs.items()
                if is_rtx(c) and c.parameters.get("apt") == packet.payload_type
            ),
            None,
        )
        rtx = (rtx_ssrc, rtx_pt) if rtx_ssrc is not None and rtx_pt is not None else None
        nack = state.nack_generator is not None  # aiortc NACKs video only
        try:
            self._rx.add_stream(
                packet.ssrc, packet.payload_type, kind, codec.clockRate, capacity, nack, rtx
            )
        except ValueError:  # more streams on one connection than C holds: Python takes it
            return False
        self._streams[packet.ssrc] = _Stream(receiver, state, codec)
        self._rx.feed_plain(data)
        return True

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
