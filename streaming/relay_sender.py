"""A relay viewer's RTP loop: the shared payloads of each frame out to one viewer.

It replaces aiortc's per-sender loop (aiortc_hooks.replace_rtp_loop). Per frame
one RTP header is built; per packet only two bytes of sequence number, a copy,
SRTP and a `sendto` remain. The last 128 packets are kept to answer NACKs
(over RTX when negotiated, as aiortc does).

Keyframes are paced: a frame of more than `BURST_PACKETS` packets waits for
room in the relay's `BurstPacer`, which lets ~10 ms of bursts out per turn of
the event loop. Without it every viewer's ~100-packet keyframe went out in one
turn, and nothing was read (the camera's next packets, RTCP, consent checks)
until the last viewer had been served; now the loop reads between turns, and a
viewer that has its keyframe gets the next (small) frames at once while later
viewers still wait for theirs. The relay shuffles viewers on each keyframe so
that nobody is always served last. One viewer per turn (a lock held across a
turn) was measured and rejected: N viewers then take 2N turns, and each turn
also carries all the other work that is ready.
"""

from __future__ import annotations

import asyncio
import random
import time

from storage.archive import MediaKind
from streaming.aiortc_hooks import RtpSendPath
from streaming.relay import BURST_PACKETS, BurstPacer, Outlet, RelayFrame

NTP_UNIX_OFFSET_S = 2_208_988_800  # 1900 to 1970: RTP's NTP time, as aiortc's clock has it
HISTORY_PACKETS = 128  # as aiortc: ~0.4 s of 2.5 Mbit/s video to answer NACKs from


class RelayRtpLoop:
    """Sends one outlet's frames of one kind to one viewer, and answers its NACKs."""

    def __init__(self, path: RtpSendPath, outlet: Outlet, kind: MediaKind, pacer: BurstPacer):
        self._path = path
        self._outlet = outlet
        self._kind = kind
        self._pacer = pacer
        self._history: list[tuple[bytes, int] | None] = [None] * HISTORY_PACKETS
        self._sequence_number = random.getrandbits(15)  # lower half: no early wrap (aiortc)
        self._timestamp_origin = random.getrandbits(32)
        self._rtx_sequence_number = random.getrandbits(15)

    async def run(self) -> None:
        while True:
            frame = await self._outlet.next(self._kind)
            if len(frame.payloads) > BURST_PACKETS:
                await self._pacer.turn(len(frame.payloads))
            self._send(frame)
            if self._outlet.backlog(self._kind):
                await asyncio.sleep(0)  # a viewer catching up must not hold the loop

    def _send(self, frame: RelayFrame) -> None:
        timestamp = (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF
        ntp_time = int((time.time() + NTP_UNIX_OFFSET_S) * (1 << 32))
        self._path.send(self._packets(self._path.header(timestamp, ntp_time), frame.payloads))
        self._path.sent(timestamp, ntp_time, len(frame.payloads), sum(map(len, frame.payloads)))

    def _packets(self, header: bytearray, payloads: list[bytes]) -> list[bytes]:
        """RTP packets with consecutive sequence numbers, the marker on the last."""
        header_length = len(header)
        sequence_number = self._sequence_number
        history = self._history
        packets = []
        last = len(payloads) - 1
        for index, payload in enumerate(payloads):
            header[2] = sequence_number >> 8
            header[3] = sequence_number & 0xFF
            if index == last:
                header[1] |= 0x80
            packet = bytes(header) + payload
            history[sequence_number % HISTORY_PACKETS] = (packet, header_length)
            packets.append(packet)
            sequence_number = (sequence_number + 1) & 0xFFFF
        self._sequence_number = sequence_number
        return packets

    async def retransmit(self, sequence_number: int) -> None:
        """Send a NACKed packet again if it is still kept (wrapped in RTX when negotiated)."""
        kept = self._history[sequence_number % HISTORY_PACKETS]
        if kept is None or int.from_bytes(kept[0][2:4], "big") != sequence_number:
            return
        packet, header_length = kept
        rtx_payload_type = self._path.rtx_payload_type
        if rtx_payload_type is not None:  # RFC 4588: own SSRC and numbers, original number first
            header = bytearray(packet[:header_length])
            header[1] = (header[1] & 0x80) | rtx_payload_type
            header[2:4] = self._rtx_sequence_number.to_bytes(2, "big")
            header[8:12] = self._path.rtx_ssrc.to_bytes(4, "big")
            self._rtx_sequence_number = (self._rtx_sequence_number + 1) & 0xFFFF
            packet = bytes(header) + packet[2:4] + packet[header_length:]
        self._path.send([packet])
