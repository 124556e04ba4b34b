"""The send side: relay senders run their own RTP loop; keyframe requests passed upstream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

log = logging.getLogger(__name__)

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

    def send(self, packets: Sequence[bytes]) -> None:
        """SRTP-protect and send RTP packets; ConnectionError once the peer is gone."""
        dtls = self._sender.transport
        pair = dtls.transport._connection._nominated.get(1)
        if dtls._state != DtlsState.CONNECTED or pair is None or pair.protocol.transport is None:
            raise ConnectionError("Cannot send encrypted RTP, not connected")
        protect, sendto = dtls._tx_srtp.protect, pair.protocol.transport.sendto
        for packet in packets:
            sendto(protect(packet), pair.remote_addr)

    def sent(self, timestamp: int, ntp_time: int, packets: int, octets: int) -> None:
        ntp, rtp, packet_count, octet_count = SENDER_REPORT_FIELDS  # for sender reports
        setattr(self._sender, ntp, ntp_time)
        setattr(self._sender, rtp, timestamp)
        setattr(self._sender, packet_count, getattr(self._sender, packet_count) + packets)
        setattr(self._sender, octet_count, getattr(self._sender, octet_count) + octets)


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
