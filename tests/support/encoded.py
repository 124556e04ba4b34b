"""Encoded frames as a camera would deliver them, read from a `make_clip` MPEG-TS.

No decoding: video packets stay Annex-B (as in the TS), audio packets are Opus.
Each kind's pts counts from its own first packet (as `EncodedFrame` promises)
and the wall clock is a fixed base plus the TS time, so the two line up.
"""

from __future__ import annotations

from pathlib import Path

import av

from streaming.frames import EncodedFrame

WALLCLOCK_BASE = 1_700_000_000.0
VIDEO_RATE = 90_000
AUDIO_RATE = 48_000


def read_clip(path: Path, *, source_id: str = "cam-1") -> list[EncodedFrame]:
    """Every packet of the clip as an EncodedFrame, interleaved by wall clock."""
    frames: list[EncodedFrame] = []
    first: dict[str, int] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue
            kind = packet.stream.type
            if kind not in ("video", "audio"):
                continue
            seconds = float(packet.pts * packet.time_base)
            rate = VIDEO_RATE if kind == "video" else AUDIO_RATE
            ticks = round(seconds * rate)
            origin = first.setdefault(kind, ticks)
            frames.append(
                EncodedFrame(
                    kind=kind,
                    codec="h264" if kind == "video" else "opus",
                    data=bytes(packet),
                    pts=ticks - origin,
                    clock_rate=rate,
                    keyframe=bool(packet.is_keyframe) if kind == "video" else True,
                    wallclock=WALLCLOCK_BASE + seconds,
                    source_id=source_id,
                )
            )
    frames.sort(key=lambda f: (f.wallclock, f.kind != "video"))
    return frames


def annexb_units(data: bytes) -> list[bytes]:
    """NAL units of an Annex-B access unit."""
    units: list[bytes] = []
    parts = data.split(b"\x00\x00\x01")
    for part in parts[1:]:
        unit = part.rstrip(b"\x00") if part is not parts[-1] else part
        if unit:
            units.append(unit)
    return units


def length_prefixed_units(data: bytes, size: int = 4) -> list[bytes]:
    """NAL units of an MP4 (ISO 14496-15) sample."""
    units: list[bytes] = []
    offset = 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + size], "big")
        offset += size
        if offset + length > len(data):
            raise ValueError(f"NAL length {length} runs past the sample end")
        units.append(data[offset : offset + length])
        offset += length
    return units


def slice_units(units: list[bytes]) -> list[bytes]:
    """Only the coded slices (NAL types 1 and 5): what must survive a remux byte for byte."""
    return [u for u in units if u[0] & 0x1F in (1, 5)]
