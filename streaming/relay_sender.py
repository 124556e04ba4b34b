"""A relay viewer's RTP loop: the shared payloads of each frame out to one viewer.

It replaces aiortc's per-sender loop (aiortc_hooks.replace_rtp_loop). Per frame
one RTP header is built and the frame handed to the send path (streaming/send_path.py:
in C, the packets are built, protected and sent in one sendmmsg, nothing per packet in
Python). The last 32 frames are kept to answer NACKs (over RTX when negotiated, as
aiortc does), each packet rebuilt from its frame when asked for.

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
from collections import deque

from storage.archive import MediaKind
from streaming.aiortc_hooks import OutgoingFrame, RtpSendPath
from streaming.relay import BURST_PACKETS, BurstPacer, Outlet, RelayFrame

NTP_UNIX_OFFSET_S = 2_208_988_800  # 1900 to 1970: RTP's NTP time, as aiortc's clock has it
HISTORY_FRAMES = 32  # at least aiortc's 128 packets (~0.4 s at 2.5 Mbit/s) to answer NACKs from


class RelayRtpLoop:
    """Sends one outlet's frames of one kind to one viewer, and answers its NACKs."""

    def __init__(self, path: RtpSendPath, outlet: Outlet, kind: MediaKind, pacer: BurstPacer):
        self._path = path
        self._outlet = outlet
        self._kind = kind
        self._pacer = pacer
        self._history: deque[OutgoingFrame] = deque(maxlen=HISTORY_FRAMES)
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
        """The frame to the viewer with consecutive sequence numbers, kept for NACKs; no
        work per packet here (the send path builds the packets)."""
        timestamp = (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF
        ntp_time = int((time.time() + NTP_UNIX_OFFSET_S) * (1 << 32))
        outgoing = OutgoingFrame(
            bytes(self._path.header(timestamp, ntp_time)),
            self._sequence_number,
            frame.payloads,
            frame.joined,
            frame.lengths,
        )
        self._history.append(outgoing)
        self._sequence_number = (self._sequence_number + len(frame.payloads)) & 0xFFFF
        self._path.send_frame(outgoing)
        self._path.sent(timestamp, ntp_time, len(frame.payloads), len(frame.joined))

    async def retransmit(self, sequence_number: int) -> None:
        """Send a NACKed packet again if it is still kept (wrapped in RTX when negotiated)."""
        for kept in reversed(self._history):
            index = (sequence_number - kept.first_sequence) & 0xFFFF
            if index < len(kept.payloads):
                break
        else:
            return
        packet = kept.packet(index)
        rtx_payload_type = self._path.rtx_payload_type
        if rtx_payload_type is not None:  # RFC 4588: own SSRC and numbers, original number first
            header_length = len(kept.header)
            header = bytearray(packet[:header_length])
            header[1] = (header[1] & 0x80) | rtx_payload_type
            header[2:4] = self._rtx_sequence_number.to_bytes(2, "big")
            header[8:12] = self._path.rtx_ssrc.to_bytes(4, "big")
            self._rtx_sequence_number = (self._rtx_sequence_number + 1) & 0xFFFF
            packet = bytes(header) + packet[2:4] + packet[header_length:]
        self._path.send(packet)
