"""Every private aiortc and aioice name Courtcast relies on, and every process-wide patch.

aiortc has no encoded-frame API (issues #449, #984; PR #562 unmerged) and aioice
no option to choose interfaces, so receiving, recording and relaying without
decoding reach into their internals. Those reaches all live here, written
against aiortc 1.16.0 and aioice 0.13.0 (pinned exactly in pyproject.toml), and
tests/streaming/test_aiortc_hooks.py pins each one: an upgrade that moves a name
fails there, naming the hook, instead of as a silent stall in a live hearing.

A patch applied twice is applied once: a replacement keeps the original it
wraps under `_ORIGINAL`, and applying again wraps that original, never a patch.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import aioice
import aioice.ice
import pylibsrtp
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import CODECS
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtpPacket

log = logging.getLogger(__name__)

_ORIGINAL = "_courtcast_original"  # marks a replacement and keeps what it replaced
# RTCRtpReceiver's name-mangled attributes (aiortc 1.16.0, set in its __init__).
TIMESTAMP_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
CODECS_BY_PT = "_RTCRtpReceiver__codecs"
REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
ACTIVE_SSRC = "_RTCRtpReceiver__active_ssrc"

FrameDelivery = Callable[[RTCRtpCodecParameters, JitterFrame], None]
_F = TypeVar("_F", bound=Callable[..., Any])


def _patched(replacement: _F, original: object) -> _F:
    setattr(replacement, _ORIGINAL, original)
    return replacement


def unpatched(current: _F) -> _F:
    """What aiortc or aioice had before any of our patches."""
    original: _F = getattr(current, _ORIGINAL, current)
    return original


# Process-wide patches


def add_h264_profiles(profile_level_ids: Sequence[str]) -> None:
    """Offer these H.264 profiles (packetization-mode 1, with RTX) besides aiortc's own.

    aiortc 1.16.0 negotiates from the module-level table `aiortc.codecs.CODECS`
    and offers only Constrained Baseline; a profile already in it is skipped.
    """
    video = CODECS["video"]
    known = {str(c.parameters.get("profile-level-id", "")) for c in video}
    next_pt = max(c.payloadType or 0 for c in video) + 1
    for profile_level_id in profile_level_ids:
        if profile_level_id in known:
            continue
        video.append(
            RTCRtpCodecParameters(
                mimeType="video/H264",
                clockRate=90000,
                payloadType=next_pt,
                rtcpFeedback=[
                    RTCRtcpFeedback(type="nack"),
                    RTCRtcpFeedback(type="nack", parameter="pli"),
                    RTCRtcpFeedback(type="goog-remb"),
                ],
                parameters={
                    "level-asymmetry-allowed": "1",
                    "packetization-mode": "1",
                    "profile-level-id": profile_level_id,
                },
            )
        )
        video.append(
            RTCRtpCodecParameters(
                mimeType="video/rtx",
                clockRate=90000,
                payloadType=next_pt + 1,
                parameters={"apt": next_pt},
            )
        )
        next_pt += 2


def set_opus_parameters(parameters: Mapping[str, int]) -> None:
    """Add fmtp parameters to the Opus entry of `CODECS` (aiortc 1.16.0 drops useinbandfec)."""
    opus = next(c for c in CODECS["audio"] if c.mimeType.lower() == "audio/opus")
    opus.parameters.update(parameters)


def gather_host_candidates_on(only: Sequence[str], fallback: str) -> None:
    """Gather host candidates on `only`; when empty, on every interface, else on `fallback`.

    aioice 0.13.0's `Connection.gather_candidates` calls the module-level
    `aioice.ice.get_host_addresses(use_ipv4=..., use_ipv6=...)`, which skips
    loopback and has no option to restrict interfaces. Applying again replaces
    the previous choice.
    """
    chosen = list(only)
    discover = unpatched(aioice.ice.get_host_addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if chosen:
            return chosen
        return discover(use_ipv4=use_ipv4, use_ipv6=use_ipv6) or [fallback]

    aioice.ice.get_host_addresses = _patched(host_addresses, discover)


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
        try:
            self._deliver(codec, jitter_frame)
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

    receiver._handle_rtcp_packet = _patched(handle_and_watch, handle)  # type: ignore[method-assign]


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
        original = unpatched(protocol.datagram_received)
        demux = _demultiplexing(original, connection, protocol.local_candidate.component, take)
        protocol.datagram_received = _patched(demux, original)  # type: ignore[method-assign,assignment]


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


# Packetizers: aiortc's own, without its encoders


def h264_payloads(access_unit: bytes) -> list[bytes]:
    """An Annex-B access unit as FU-A/STAP-A/single-NAL payloads (no start code: none)."""
    return H264Encoder._packetize(H264Encoder._split_bitstream(access_unit))


def vp8_payloads(frame: bytes, picture_id: int) -> list[bytes]:
    """A VP8 frame as payloads with their descriptor (15-bit picture id)."""
    return Vp8Encoder._packetize(frame, picture_id)
