"""`Tx`: the relay's send side in C. One call per frame and viewer: the frame's RTP packets
built from its shared payloads and the viewer's header, SRTP-protected with the viewer's own
session and sent in one sendmmsg; what the kernel could not take at once is handed back,
protected, for the caller to queue."""

from __future__ import annotations

import pylibsrtp

from streaming.aiortc_hooks import Address, OutgoingFrame
from streaming.aiortc_hooks.borrowed import srtp_of, srtp_protect_function
from streaming.native._tx import ffi, lib

MAX_PACKETS = lib.TX_MAX_PACKETS
MAX_PACKET = lib.TX_MAX_PACKET
SRTP_REFUSED = 100_000  # tx_send_frame's -(SRTP_REFUSED + status): libsrtp refused a packet


class Tx:
    """One context (its buffers) for every viewer of the process: calls never interleave,
    they all run on the event loop's thread."""

    def __init__(self) -> None:
        self._ctx = ffi.gc(lib.tx_new(), lib.tx_free)
        self._protect = ffi.cast("tx_protect_fn", srtp_protect_function())
        self._length = ffi.new("int *")

    def send_frame(
        self, session: pylibsrtp.Session, fd: int, addr: Address, frame: OutgoingFrame
    ) -> list[bytes]:
        """Send `frame` to `addr` on the UDP socket `fd`; returns the protected packets the
        kernel did not take (its buffer full), to be queued. ValueError for a frame of more
        than MAX_PACKETS packets or a packet of more than MAX_PACKET bytes, OSError if sending
        failed (EINVAL: `addr` is not a numeric address), pylibsrtp.Error if libsrtp refused
        a packet."""
        count = len(frame.lengths)
        if count > MAX_PACKETS:
            raise ValueError(f"a frame of {count} packets: at most {MAX_PACKETS}")
        if len(frame.header) + max(frame.lengths, default=0) > MAX_PACKET:
            raise ValueError(f"an RTP packet of more than {MAX_PACKET} bytes")
        sent = lib.tx_send_frame(
            self._ctx,
            self._protect,
            ffi.cast("void *", srtp_of(session)),
            fd,
            addr[0].encode(),
            addr[1],
            frame.header,
            len(frame.header),
            frame.first_sequence,
            frame.joined,
            frame.lengths,
            count,
        )
        if sent <= -SRTP_REFUSED:
            raise pylibsrtp.Error(f"srtp_protect failed: {-sent - SRTP_REFUSED}")
        if sent < 0:
            raise OSError(-sent, f"sendmmsg to {addr[0]}:{addr[1]}")
        return [self._protected(i) for i in range(sent, count)]

    def _protected(self, index: int) -> bytes:
        data = lib.tx_protected(self._ctx, index, self._length)
        return bytes(ffi.buffer(data, self._length[0]))
