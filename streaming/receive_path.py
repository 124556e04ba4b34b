"""The per-packet receive path of a publisher's connection: SRTP datagrams in, frames out.

aiortc handles each media packet in three hops (aioice's queue, the DTLS transport's
reader task, the receiver's `_handle_rtp_packet` coroutine), tries to parse it as STUN
first and feeds a receive-side bandwidth estimator. The recorder needs none of that, so
for receivers whose frames are diverted before the decoder (streaming/passthrough.py)
each SRTP packet is handled here, synchronously in the socket callback: decrypt, parse,
RTX unwrap, NACK, depayload, jitter buffer, PLI, and each complete frame handed to the
same place aiortc would have put it. Everything else (DTLS, SRTCP, packets for
receivers that decode) still goes aiortc's way.

`ReceivePath` is the whole interface: the native one (streaming/native: SRTP in place and
frame assembly in C) replaces `PythonReceivePath` where it was built (`use_receive_path`)
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
from aiortc.jitterbuffer import MAX_MISORDER, JitterFrame
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket, is_rtcp, unwrap_rtx

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


class FrameAssembler:
    """RTP packets in, whole frames (one RTP timestamp each) out, in sequence order.

    What aiortc's `JitterBuffer` does for a receiver (a frame leaves once the first
    packet of the next one arrives and nothing before it is missing; a gap wider than the
    capacity drops whole frames and asks for a keyframe), but each packet is walked once:
    aiortc's rescans the buffer from its start on every packet (a 90-packet keyframe
    costs ~4000 steps), and it lets out one frame per packet.
    """

    def __init__(self, capacity: int, is_video: bool) -> None:
        self._capacity = capacity
        self._is_video = is_video
        self._packets: dict[int, RtpPacket] = {}
        self._origin: int | None = None  # sequence number of the oldest frame's first packet
        self._walked = 0  # packets from the origin known to be present, in order
        self._timestamp: int | None = None  # of the frame being walked
        self._parts: list[bytes] = []  # its depayloaded data so far

    def add(self, packet: RtpPacket) -> tuple[bool, list[JitterFrame]]:
        """(whether to ask for a keyframe, the frames this packet completed)."""
        seq = packet.sequence_number
        if self._origin is None:
            self._origin = seq
        delta = (seq - self._origin) & 0xFFFF
        keyframe_needed = False
        if delta >= 0x8000:  # before the origin: late (dropped), or the sender restarted
            if 0x10000 - delta < MAX_MISORDER:
                return False, []
            self._restart(seq)
            keyframe_needed = self._is_video
        elif delta >= self._capacity:
            self._drop(delta - self._capacity + 1, seq)
            keyframe_needed = self._is_video
        if seq in self._packets:
            return keyframe_needed, []
        self._packets[seq] = packet
        return keyframe_needed, self._walk()

    def _walk(self) -> list[JitterFrame]:
        frames: list[JitterFrame] = []
        packets = self._packets
        assert self._origin is not None
        while (packet := packets.get((self._origin + self._walked) & 0xFFFF)) is not None:
            if self._timestamp is not None and packet.timestamp != self._timestamp:
                frames.append(JitterFrame(data=b"".join(self._parts), timestamp=self._timestamp))
                for offset in range(self._walked):
                    del packets[(self._origin + offset) & 0xFFFF]
                self._origin = (self._origin + self._walked) & 0xFFFF
                self._walked = 0
                self._parts = []
            self._timestamp = packet.timestamp
            self._parts.append(packet._data)  # type: ignore[attr-defined]
            self._walked += 1
        return frames

    def _drop(self, count: int, seq: int) -> None:
        """Drop at least `count` slots from the origin, and the rest of the frame there."""
        assert self._origin is not None
        timestamp = None
        for offset in range(self._capacity):
            position = (self._origin + offset) & 0xFFFF
            packet = self._packets.get(position)
            if packet is not None:
                if offset >= count and packet.timestamp != timestamp:
                    self._origin = position
                    break
                timestamp = packet.timestamp
                del self._packets[position]
        else:
            self._origin = seq
        self._walked = 0
        self._timestamp = None
        self._parts = []

    def _restart(self, seq: int) -> None:
        self._packets.clear()
        self._origin = seq
        self._walked = 0
        self._timestamp = None
        self._parts = []


class LossTracker:
    """Sequence numbers still missing, for NACKs: aiortc's `NackGenerator` rules (the last
    RTP_HISTORY_SIZE packets), without its scan of the missing set on every packet."""

    def __init__(self) -> None:
        self.max_seq: int | None = None
        self.missing: set[int] = set()

    def add(self, seq: int) -> bool:
        """Note a received packet; True if it revealed newly missing ones."""
        if self.max_seq is None:
            self.max_seq = seq
            return False
        ahead = (seq - self.max_seq) & 0xFFFF
        if ahead == 0 or ahead >= 0x8000:  # a duplicate, a retransmission or a late packet
            self.missing.discard(seq)
            return False
        if ahead > 1:
            self.missing.update((self.max_seq + step) & 0xFFFF for step in range(1, ahead))
        self.max_seq = seq
        if self.missing:
            oldest = (seq - RTP_HISTORY_SIZE) & 0xFFFF
            self.missing = {m for m in self.missing if (m - oldest) & 0xFFFF < 0x8000}
        return ahead > 1


class _Receiver:
    """One receiver's share of the path, on aiortc's own state objects."""

    def __init__(self, receiver: RTCRtpReceiver, state: ReceiverState) -> None:
        assert state.frames is not None
        self.receiver = receiver
        self.state = state
        self.put_frame = state.frames.frame
        self._by_payload_type: dict[int, tuple[RTCRtpCodecParameters, bool]] = {}
        capacity = state.jitter_buffer.capacity  # aiortc's: 512 for video, 16 for audio
        is_video = state.nack_generator is not None  # aiortc NACKs video only
        self.assembler = FrameAssembler(capacity, is_video=is_video)
        self.losses = LossTracker() if is_video else None

    def packet(self, packet: RtpPacket, spawn: Callable[[Coroutine[Any, Any, None]], None]) -> None:
        """What aiortc 1.16.0's `_handle_rtp_packet` does, minus the bitrate estimator, with
        a jitter buffer that walks each packet once, and RTCP feedback sent from a task
        (rare) instead of awaited per packet."""
        state = self.state
        known = self._by_payload_type.get(packet.payload_type)
        if known is None:
            codec = state.codecs.get(packet.payload_type)
            if codec is None:
                return
            known = self._by_payload_type[packet.payload_type] = (codec, is_rtx(codec))
        codec, retransmission = known
        stats = state.remote_streams.get(packet.ssrc)
        if stats is None:
            stats = state.remote_streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)
        if retransmission:
            original_ssrc = state.rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in state.codecs:
                return
            assert isinstance(apt, int)
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = state.codecs[apt]
        losses = self.losses
        if losses is not None and losses.add(packet.sequence_number):
            spawn(send_nack(self.receiver, packet.ssrc, sorted(losses.missing)))
        try:
            packet._data = depayload(codec, packet.payload) if packet.payload else b""  # type: ignore[attr-defined]
        except ValueError:
            return
        keyframe_needed, frames = self.assembler.add(packet)
        if keyframe_needed:
            spawn(send_pli(self.receiver, packet.ssrc))
        if frames:
            # synchronization sources are read by the second: once per frame is enough
            state.active_ssrc[packet.ssrc] = clock.current_datetime()
            for frame in frames:
                self.put_frame(codec, frame.timestamp, frame.data)


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


RECEIVE_PATHS = ("auto", "native", "python")
_chosen: list[ReceivePathFactory] = [PythonReceivePath]  # until use_receive_path


def use_receive_path(choice: str) -> str:
    """Make "native" (streaming/native, C; an error if not built), "python", or "auto" (native
    where the extension was built) the process's receive path; the name of the one in use."""
    if choice not in RECEIVE_PATHS:
        raise ValueError(f"receive path {choice!r}: one of {', '.join(RECEIVE_PATHS)}")
    factory: ReceivePathFactory = PythonReceivePath
    if choice != "python":
        try:
            from streaming.native.receive_path import NativeReceivePath
        except ImportError:
            if choice == "native":
                raise
            log.warning("the native receive path is not built (no C compiler at install): Python")
        else:
            factory = NativeReceivePath
    _chosen[0] = factory
    name = "native" if factory is not PythonReceivePath else "python"
    log.info("receive path: %s", name)
    return name


# RTP datagrams kept per connection until the handshake sets its keys, each at most a
# network packet: at most 768 kB whatever a stranger sends to the port
HELD_BEFORE_KEYS, HELD_DATAGRAM_BYTES = 512, 1500


class HeldUntilKeyed:
    """A receive path that gets every RTP datagram of its connection, in arrival order, the
    handshake included.

    A publisher starts sending media as soon as its side of the DTLS handshake is done,
    which is before ours (the last flight is its): RTP that arrives while our keys are
    not set yet would go aiortc's way (queued behind that flight for its reader task and its
    own jitter buffer) while what comes after is taken here at once, so the frame split
    between the two was lost (seen: a camera's second frame missing from its recording).
    Such datagrams are held instead and handed to the path, in order, just before the first
    one that arrives once the keys are set. DTLS and RTCP still go aiortc's way."""

    def __init__(self, transport: RTCDtlsTransport, path: ReceivePath) -> None:
        self._input = SrtpInput(transport)
        self._path = path
        self._held: list[bytes] | None = []  # None once handed over

    def datagram(self, data: bytes) -> bool:
        held = self._held
        if held is None:
            return self._path.datagram(data)
        if self._input.session() is None:
            rtp = 127 < data[0] < 192 and not is_rtcp(data)
            if not rtp or len(data) > HELD_DATAGRAM_BYTES or len(held) >= HELD_BEFORE_KEYS:
                return False  # aiortc's way, as before
            held.append(data)
            return True
        self._held = None
        for earlier in held:
            self._path.datagram(earlier)  # RTP: every path takes it (or drops it as bad)
        return self._path.datagram(data)


def install_receive_path(
    transports: Iterable[RTCDtlsTransport], factory: ReceivePathFactory | None = None
) -> None:
    """Put a receive path (`factory`, else the process's) in front of each DTLS transport
    (once the answer is set)."""
    for transport in set(transports):
        path = (factory or _chosen[0])(transport)
        take_datagrams(transport, HeldUntilKeyed(transport, path).datagram)
