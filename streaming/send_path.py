"""How the relay's packets reach the wire: per frame and viewer, the RTP packets are
built, SRTP-protected and sent. The Python way (aiortc's) builds each packet and makes a
pylibsrtp call and a `sendto` per packet; the native way (streaming/native/tx.py) builds and
protects them in place in C and hands them to the kernel in one sendmmsg: no Python work per
packet. Chosen once per process with the receive path (the same setting): the native one
where the extension was built.
"""

from __future__ import annotations

import asyncio
import logging

import pylibsrtp

from streaming.aiortc_hooks import (
    Address,
    FrameWriter,
    OutgoingFrame,
    python_writer,
    use_frame_writer,
)

log = logging.getLogger(__name__)


def native_writer() -> FrameWriter:
    """A `FrameWriter` over one C context; ImportError where the extension was not built."""
    from streaming.native.tx import MAX_PACKETS, Tx

    tx = Tx()

    def write(
        session: pylibsrtp.Session,
        transport: asyncio.DatagramTransport,
        addr: Address,
        frame: OutgoingFrame,
    ) -> None:
        # packets already queued (asyncio's and uvloop's datagram transports both say so,
        # typeshed lacks it): these go behind them; a frame too large for C goes as in Python
        queued = transport.get_write_buffer_size()  # type: ignore[attr-defined]
        if queued or len(frame.lengths) > MAX_PACKETS:
            python_writer(session, transport, addr, frame)
            return
        try:
            left = tx.send_frame(session, transport.get_extra_info("socket").fileno(), addr, frame)
        except OSError as error:
            raise ConnectionError(f"cannot send RTP to {addr[0]}:{addr[1]}") from error
        for packet in left:  # the kernel's buffer was full: the transport queues the rest
            transport.sendto(packet, addr)

    return write


def use_send_path(choice: str) -> str:
    """Make "native" (an error if not built), "python" or "auto" the process's way of sending
    relay packets; the name of the one in use."""
    writer: FrameWriter = python_writer
    if choice != "python":
        try:
            writer = native_writer()
        except ImportError:
            if choice == "native":
                raise
            log.warning("the native send path is not built (no C compiler at install): Python")
    use_frame_writer(writer)
    name = "python" if writer is python_writer else "native"
    log.info("send path: %s", name)
    return name
