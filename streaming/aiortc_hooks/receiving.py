"""The receive side: frames diverted before aiortc's decoder, receiver state shared with a
receive path that bypasses `_handle_rtp_packet`, and the datagrams of the ICE sockets."""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import aioice
import pylibsrtp
from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtpPacket

from streaming.aiortc_hooks._patching import patched, unpatched

log = logging.getLogger(__name__)

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024  # a 2.6 Mbit/s camera: none of its datagrams lost in 7 s
_capped_buffer_logged = threading.Event()

# RTCRtpReceiver's name-mangled attributes (aiortc 1.16.0, set in its __init__).
TIMESTAMP_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
CODECS_BY_PT = "_RTCRtpReceiver__codecs"
REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
ACTIVE_SSRC = "_RTCRtpReceiver__active_ssrc"

FrameDelivery = Callable[[RTCRtpCodecParameters, int, bytes], None]
"""(codec, the frame's RTP timestamp, its payload): one reassembled frame."""

# RTCRtpReceiver: frames after reassembly, before the decoder (before `receive()` starts it)


class _FrameHandoff:
    """Stands in for the receiver's decoder queue (a `queue.Queue` in aiortc 1.16.0).

    `_handle_rtp_packet` calls `put((codec, frame))` on the event loop and
    `put(None)` when it stops; the decoder thread aiortc still starts blocks in
    `get` until then, and leaves on the None it returns.
    """

    def __init__(self, deliver: FrameDelivery) -> None:
        self._deliver = deliver
        self._stopped = threading.Event()

    def put(self, item: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:
        if item is None:
            self._stopped.set()
            return
        codec, jitter_frame = item
        self.frame(codec, jitter_frame.timestamp, jitter_frame.data)

    def frame(self, codec: RTCRtpCodecParameters, timestamp: int, data: bytes) -> None:
        """One frame from a receive path of ours, with no `JitterFrame` made for it."""
        try:
            self._deliver(codec, timestamp, data)
        except Exception:  # one bad frame must not stop the receiver
            log.exception("dropped a %s frame that could not be handled", codec.name)

    def get(self) -> None:
        self._stopped.wait()
        return None


class _IdentityTimestamps:
    """Stands in for aiortc's `TimestampMapper`, which rebases each receiver's RTP time to 0."""

    @staticmethod
    def map(timestamp: int) -> int:
        return timestamp


def divert_frames_before_decoder(receiver: RTCRtpReceiver, deliver: FrameDelivery) -> None:
    """Hand each reassembled frame (NACK, RTX and jitter buffer done) to `deliver` on the
    event loop instead of aiortc's decoder thread: nothing is decoded."""
    setattr(receiver, DECODER_QUEUE, _FrameHandoff(deliver))


def keep_sender_rtp_timestamps(receiver: RTCRtpReceiver) -> None:
    """Leave frames' RTP timestamps as the publisher sent them, so sender reports map them."""
    setattr(receiver, TIMESTAMP_MAPPER, _IdentityTimestamps())


def retransmission_ssrcs(receiver: RTCRtpReceiver) -> Mapping[int, int]:
    """RTX SSRC -> media SSRC: aiortc 1.16.0 fills this dict in place in `receive()`."""
    rtx: Mapping[int, int] = getattr(receiver, RTX_SSRC)
    return rtx


def watch_rtcp(receiver: RTCRtpReceiver, on_packet: Callable[[AnyRtcpPacket], None]) -> None:
    """Show `on_packet` each RTCP packet the receiver gets (sender reports), before aiortc.

    The DTLS transport calls `receiver._handle_rtcp_packet(packet)` through the
    instance, so a replacement on the instance sees every packet.
    """
    handle = unpatched(receiver._handle_rtcp_packet)

    async def handle_and_watch(packet: AnyRtcpPacket) -> None:
        on_packet(packet)
        await handle(packet)

    receiver._handle_rtcp_packet = patched(handle_and_watch, handle)  # type: ignore[method-assign]


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """RTCP PLI for one media source: aiortc sends one itself only when decoding fails."""
    await receiver._send_rtcp_pli(media_ssrc)


async def send_nack(receiver: RTCRtpReceiver, media_ssrc: int, lost: list[int]) -> None:
    """RTCP NACK for these sequence numbers of one media source."""
    await receiver._send_rtcp_nack(media_ssrc, lost)


# The per-packet receive path (streaming/receive_path.py) takes over aiortc's


async def handle_rtp_packet(receiver: RTCRtpReceiver, packet: RtpPacket, arrival_ms: int) -> None:
    """aiortc's own handling of one decrypted RTP packet (estimator, decoder and all)."""
    await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_ms)


@dataclass(frozen=True)
class ReceiverState:
    """aiortc 1.16.0's own per-receiver state (the same objects, shared, not copies), so a
    receive path that bypasses `_handle_rtp_packet` keeps aiortc's receiver reports
    (`remote_streams`), synchronization sources (`active_ssrc`) and RTX map working."""

    codecs: Mapping[int, RTCRtpCodecParameters]  # payload type -> codec, filled by receive()
    rtx_ssrc: Mapping[int, int]
    remote_streams: dict[int, StreamStatistics]
    nack_generator: NackGenerator | None  # video only
    jitter_buffer: JitterBuffer
    active_ssrc: dict[int, datetime.datetime]
    frames: _FrameHandoff | None  # None: frames go to aiortc's decoder, not diverted

    @classmethod
    def of(cls, receiver: RTCRtpReceiver) -> ReceiverState:
        frames = getattr(receiver, DECODER_QUEUE)
        return cls(
            codecs=getattr(receiver, CODECS_BY_PT),
            rtx_ssrc=retransmission_ssrcs(receiver),
            remote_streams=getattr(receiver, REMOTE_STREAMS),
            nack_generator=getattr(receiver, NACK_GENERATOR),
            jitter_buffer=getattr(receiver, JITTER_BUFFER),
            active_ssrc=getattr(receiver, ACTIVE_SSRC),
            frames=frames if isinstance(frames, _FrameHandoff) else None,
        )


@dataclass(frozen=True)
class SrtpInput:
    """What a receive path needs from a DTLS transport (aiortc 1.16.0 attributes)."""

    transport: RTCDtlsTransport

    def session(self) -> pylibsrtp.Session | None:
        """The SRTP session for received packets, once the DTLS handshake set it."""
        srtp: pylibsrtp.Session | None = self.transport._rx_srtp
        return srtp

    @property
    def extensions(self) -> HeaderExtensionsMap:
        return self.transport._rtp_header_extensions_map

    def route(self, packet: RtpPacket) -> RTCRtpReceiver | None:
        """The receiver aiortc would hand this packet to (by SSRC, else payload type)."""
        receiver = self.transport._rtp_router.route_rtp(packet)
        return cast("RTCRtpReceiver | None", receiver)


def take_datagrams(transport: RTCDtlsTransport, take: Callable[[bytes], bool]) -> None:
    """Offer each datagram on the transport's ICE sockets to `take` first, synchronously in
    the socket callback; those it declines go the aiortc way (aioice's queue, then the DTLS
    transport's reader task).

    aioice 0.13.0's `StunProtocol.datagram_received` tries to parse every datagram as
    STUN (an exception per media packet) and queues the rest with
    `Connection.data_received`. Here only STUN (first byte 0-3, RFC 7983) is parsed;
    the ICE sockets exist once the answer is set (gathering is not trickled).
    """
    connection: aioice.Connection = transport.transport._connection
    for protocol in connection._protocols:
        _enlarge_receive_buffer(protocol.transport)
        original = unpatched(protocol.datagram_received)
        demux = _demultiplexing(original, connection, protocol.local_candidate.component, take)
        protocol.datagram_received = patched(demux, original)  # type: ignore[method-assign,assignment]


def _enlarge_receive_buffer(transport: asyncio.DatagramTransport | None) -> None:
    """Let a camera's socket hold seconds of packets while the event loop is busy elsewhere.

    The default buffer (212,992 bytes) holds 92 datagrams of 1,200 bytes: 0.34 s of a
    2.6 Mbit/s camera, after which the kernel drops what the loop has not read (measured on
    loopback). The kernel caps the size at `net.core.rmem_max`; a smaller cap is logged once.
    """
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # Linux reports twice
    if granted < RECEIVE_BUFFER_BYTES and not _capped_buffer_logged.is_set():
        _capped_buffer_logged.set()
        log.warning(
            "camera sockets get a %d-byte receive buffer, not %d: raise net.core.rmem_max "
            "(sysctl) so a busy moment does not lose camera packets",
            granted,
            RECEIVE_BUFFER_BYTES,
        )


def _demultiplexing(
    stun: Callable[[bytes, tuple[Any, ...]], None],
    connection: aioice.Connection,
    component: int,
    take: Callable[[bytes], bool],
) -> Callable[[bytes | str, tuple[Any, ...]], None]:
    def datagram_received(data: bytes | str, addr: tuple[Any, ...]) -> None:
        assert isinstance(data, bytes)
        if not data or data[0] < 4:
            stun(data, addr)
        elif not take(data):
            connection.data_received(data, component)

    return datagram_received
