"""The send side: relay senders run their own RTP loop; keyframe requests passed upstream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import pylibsrtp
from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

log = logging.getLogger(__name__)
Address = tuple[str, int]

# RTCRtpSender: relay senders run their own RTP loop; keyframe requests passed upstream
_SENDER = "_RTCRtpSender__"  # its name-mangled attributes (aiortc 1.16.0: __init__, send())
SENDER_RTP_EVENTS = (_SENDER + "rtp_started", _SENDER + "rtp_exited")
SENDER_MID, SENDER_RTX_PAYLOAD_TYPE = _SENDER + "mid", _SENDER + "rtx_payload_type"
SENDER_EXTENSIONS = _SENDER + "rtp_header_extensions_map"
SENDER_REPORT_FIELDS = tuple(  # what `_run_rtcp` puts in each sender report
    _SENDER + name for name in ("ntp_timestamp", "rtp_timestamp", "packet_count", "octet_count")
)


class RtpSendPath:
    """One sender's wire for a loop replacing aiortc's `_run_rtp` (an `RtpPacket` and four
    coroutine layers per packet): a header built once, SRTP straight to the socket."""

    def __init__(self, sender: RTCRtpSender, codec: RTCRtpCodecParameters) -> None:
        self._sender = sender
        self.ssrc, self.rtx_ssrc = sender._ssrc, sender._rtx_ssrc
        self.payload_type = codec.payloadType or 0
        self.rtx_payload_type: int | None = getattr(sender, SENDER_RTX_PAYLOAD_TYPE)
        extensions: HeaderExtensionsMap = getattr(sender, SENDER_EXTENSIONS)
        packet = RtpPacket(payload_type=self.payload_type, ssrc=self.ssrc)
        packet.extensions.mid = getattr(sender, SENDER_MID)
        packet.extensions.abs_send_time = 0
        self._header = packet.serialize(extensions)  # per frame: timestamp, abs-send-time
        packet.extensions.abs_send_time = 0xFFFFFF
        ones = packet.serialize(extensions)
        self._send_time_at = next((i for i, b in enumerate(ones) if b != self._header[i]), None)

    def header(self, timestamp: int, ntp_time: int) -> bytearray:
        """A frame's RTP header (sequence number 0, no marker) with mid and abs-send-time."""
        header = bytearray(self._header)
        header[4:8] = timestamp.to_bytes(4, "big")
        if (at := self._send_time_at) is not None:
            header[at : at + 3] = ((ntp_time >> 14) & 0xFFFFFF).to_bytes(3, "big")
        return header

    def send_frame(self, frame: OutgoingFrame) -> None:
        """Send a frame's packets (with the process's `FrameWriter`); ConnectionError once the
        peer is gone."""
        session, transport, addr = self._wire()
        _writer[0](session, transport, addr, frame)

    def send(self, packet: bytes) -> None:
        """SRTP-protect and send one packet (a retransmission); ConnectionError as above."""
        session, transport, addr = self._wire()
        transport.sendto(session.protect(packet), addr)

    def _wire(self) -> tuple[pylibsrtp.Session, asyncio.DatagramTransport, Address]:
        dtls = self._sender.transport
        pair = dtls.transport._connection._nominated.get(1)
        if dtls._state != DtlsState.CONNECTED or pair is None or pair.protocol.transport is None:
            raise ConnectionError("Cannot send encrypted RTP, not connected")
        return dtls._tx_srtp, pair.protocol.transport, pair.remote_addr

    def sent(self, timestamp: int, ntp_time: int, packets: int, octets: int) -> None:
        ntp, rtp, packet_count, octet_count = SENDER_REPORT_FIELDS  # for sender reports
        setattr(self._sender, ntp, ntp_time)
        setattr(self._sender, rtp, timestamp)
        setattr(self._sender, packet_count, getattr(self._sender, packet_count) + packets)
        setattr(self._sender, octet_count, getattr(self._sender, octet_count) + octets)


@dataclass(frozen=True, slots=True)
class OutgoingFrame:
    """A frame's packets for one viewer: its RTP header (sequence number 0, no marker), the
    first packet's sequence number, and the frame's payloads, shared by every viewer (also
    laid end to end, `joined`, with their `lengths`, for the native send path)."""

    header: bytes
    first_sequence: int
    payloads: Sequence[bytes]
    joined: bytes
    lengths: Sequence[int]

    def packet(self, index: int) -> bytes:
        """Packet `index` of the frame: consecutive sequence numbers, the marker on the last."""
        header = bytearray(self.header)
        sequence_number = (self.first_sequence + index) & 0xFFFF
        header[2:4] = sequence_number.to_bytes(2, "big")
        if index == len(self.payloads) - 1:
            header[1] |= 0x80
        return bytes(header) + self.payloads[index]

    def packets(self) -> list[bytes]:
        return [self.packet(index) for index in range(len(self.payloads))]


# How a frame's packets reach the wire: (the viewer's SRTP session, its ICE pair's datagram
# transport, the remote address, the frame). Python by default; streaming/send_path.py puts
# the native one in at start.
FrameWriter = Callable[[pylibsrtp.Session, asyncio.DatagramTransport, Address, OutgoingFrame], None]


def python_writer(
    session: pylibsrtp.Session,
    transport: asyncio.DatagramTransport,
    addr: Address,
    frame: OutgoingFrame,
) -> None:
    """aiortc's way: build, protect and `sendto` per packet."""
    protect, sendto = session.protect, transport.sendto
    for packet in frame.packets():
        sendto(protect(packet), addr)


_writer: list[FrameWriter] = [python_writer]


def use_frame_writer(writer: FrameWriter) -> None:
    """Every relay sender of the process writes its frames with `writer` from now on."""
    _writer[0] = writer


class RtpLoop(Protocol):  # sends until cancelled, answers NACKs
    async def run(self) -> None: ...
    async def retransmit(self, sequence_number: int) -> None: ...


def replace_rtp_loop(sender: RTCRtpSender, make: Callable[[RtpSendPath], RtpLoop]) -> None:
    """Run `make(path)` instead of aiortc's RTP loop. aiortc 1.16.0's `send()` starts
    `self._run_rtp(codec)`, `stop()` waits for its started and exited events, and
    `_handle_rtcp_packet` calls `self._retransmit(seq)` per NACKed packet."""

    async def run_rtp(codec: RTCRtpCodecParameters) -> None:
        loop = make(RtpSendPath(sender, codec))
        sender._retransmit = loop.retransmit  # type: ignore[method-assign]
        getattr(sender, SENDER_RTP_EVENTS[0]).set()
        try:
            await loop.run()
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:  # stop() must still find the loop exited
            log.exception("an RTP sender stopped")
        finally:
            getattr(sender, SENDER_RTP_EVENTS[1]).set()

    sender._run_rtp = run_rtp  # type: ignore[method-assign]


def forward_keyframe_requests(sender: RTCRtpSender, request: Callable[[], None]) -> None:
    """Call `request` on a viewer's PLI or FIR (aiortc 1.16.0 only flags it for an encoder)."""
    sender._send_keyframe = request  # type: ignore[method-assign]
