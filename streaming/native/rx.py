"""`Rx`: one native receive context. Datagrams go in (`feed`, or `read` draining a socket with
recvmmsg); what comes out is one call on the handler per frame, NACK, PLI, decrypted packet of
a stream C does not assemble, or datagram that is not SRTP, never one per packet."""

from __future__ import annotations

from typing import Any, Protocol

import pylibsrtp

from streaming.aiortc_hooks.borrowed import srtp_unprotect_of
from streaming.native._rx import ffi, lib

H264, OPUS = lib.RX_CODEC_H264, lib.RX_CODEC_OPUS


class Handler(Protocol):
    def frame(self, ssrc: int, payload_type: int, timestamp: int, data: bytes) -> None: ...
    def other(self, data: bytes, addr: tuple[str, int] | None) -> None: ...
    def rtp(self, data: bytes) -> None: ...  # decrypted RTP of an SSRC not assembled in C
    def nack(self, ssrc: int, lost: list[int]) -> None: ...
    def pli(self, ssrc: int) -> None: ...


class Rx:
    def __init__(self, handler: Handler) -> None:
        self._ctx = ffi.gc(lib.rx_new(), lib.rx_free)
        self._handler = handler
        self._session: pylibsrtp.Session | None = None  # kept alive while C holds its srtp_t
        self._count = ffi.new("int *")
        self._dispatching = False
        self._pending: list[bytes] = []

    def set_session(self, session: pylibsrtp.Session) -> None:
        """Decrypt with this session (aiortc's own), in place."""
        function, srtp = srtp_unprotect_of(session)
        self._session = session
        lib.rx_set_srtp(self._ctx, ffi.cast("rx_unprotect_fn", function), ffi.cast("void *", srtp))

    def add_stream(
        self,
        ssrc: int,
        payload_type: int,
        codec: int,
        clock_rate: int,
        capacity: int,
        nack: bool,
        rtx: tuple[int, int] | None = None,
        emit_on_marker: bool = True,
    ) -> None:
        """Assemble this SSRC's frames in C. capacity: jitter slots (a power of two); rtx:
        (RTX SSRC, RTX payload type); emit_on_marker: a video frame leaves at its marker
        packet, not when the next frame's first packet arrives (one frame less latency)."""
        rtx_ssrc, rtx_pt = rtx or (0, -1)
        args = (ssrc, payload_type, codec, clock_rate, capacity, int(nack), rtx_ssrc, rtx_pt)
        if lib.rx_add_stream(self._ctx, *args, int(emit_on_marker)) != 0:
            raise ValueError(f"cannot assemble SSRC {ssrc} in C")

    def feed(self, data: bytes) -> bool:
        """One datagram; False: not SRTP (the caller passes it on)."""
        taken: int = lib.rx_feed(self._ctx, data, len(data))  # 0, or 1 + the events it made
        if taken > 1:  # most packets of a frame make none: no call to read them
            self._dispatch()
        return taken != 0

    def feed_plain(self, data: bytes) -> None:
        """A decrypted RTP packet (the first of a stream, routed in Python; an RTX packet
        unwrapped in Python). From a handler it waits until the current events are out."""
        if self._dispatching:
            self._pending.append(data)
            return
        lib.rx_feed_plain(self._ctx, data, len(data))
        self._dispatch()

    def read(self, fd: int, max_rounds: int = 16) -> int:
        """Drain a non-blocking UDP socket with recvmmsg; datagrams read, or -errno."""
        count: int = lib.rx_read_fd(self._ctx, fd, max_rounds)
        if count > 0:
            self._dispatch()
        return count

    def _dispatch(self) -> None:
        self._dispatching = True
        try:
            self._dispatch_events()
        finally:
            self._dispatching = False
        while self._pending:
            self.feed_plain(self._pending.pop(0))

    def _dispatch_events(self) -> None:
        events = lib.rx_events(self._ctx, self._count)
        handler = self._handler
        for i in range(self._count[0]):
            event = events[i]
            kind = event.kind
            if kind == lib.RX_EV_FRAME:
                data = ffi.buffer(event.data, event.len)[:]
                handler.frame(event.ssrc, event.payload_type, event.timestamp, data)
            elif kind == lib.RX_EV_NACK:
                lost = ffi.unpack(ffi.cast("uint16_t *", event.data), event.len)
                handler.nack(event.ssrc, lost)
            elif kind == lib.RX_EV_PLI:
                handler.pli(event.ssrc)
            elif kind == lib.RX_EV_RTP:
                handler.rtp(ffi.buffer(event.data, event.len)[:])
            elif kind == lib.RX_EV_OTHER:
                addr = (ffi.string(event.host).decode(), event.port) if event.port else None
                handler.other(ffi.buffer(event.data, event.len)[:], addr)

    def stream_stats(self, ssrc: int) -> dict[str, int]:
        counters = self.stream_counters(ssrc)
        return {name: getattr(counters, name) for name in STREAM_STATS}

    def stream_counters(self, ssrc: int) -> Any:
        """A copy of the stream's counters (`rx_stream_stats`), read as attributes: aiortc
        reads a handful per receiver report, and a dict of all of them per read cost more."""
        out = ffi.new("rx_stream_stats *")
        if lib.rx_stream_stats_get(self._ctx, ssrc, out) != 0:
            raise KeyError(ssrc)
        return out

    def stats(self) -> dict[str, int]:
        out = ffi.new("rx_ctx_stats *")
        lib.rx_ctx_stats_get(self._ctx, out)
        return {name: getattr(out, name) for name in CONTEXT_STATS}


STREAM_STATS = (
    *("packets", "bytes", "frames", "srtp_failures", "malformed", "late", "duplicates"),
    *("dropped_frames", "base_seq", "max_seq", "cycles", "jitter_q4", "last_arrival"),
    "last_timestamp",
)
CONTEXT_STATS = ("datagrams", "syscalls", "other", "srtp_failures", "malformed", "unknown_ssrc")
__all__ = ["H264", "OPUS", "Handler", "Rx"]
