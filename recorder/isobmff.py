"""ISO-BMFF (ISO/IEC 14496-12) box parsing: init segments, fragments and what they time.

Apart from the writer (`recorder.fmp4`) because its readers are many: the
writer reads the muxer's init (its tracks, their timescales, the avcC), the
session reads an init's video track, the live parts time each fragment, and
crash recovery reads a partial segment's length, frames and duration back.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

TFHD_DEFAULT_DURATION = 0x08
TRUN_DATA_OFFSET, TRUN_FIRST_FLAGS = 0x01, 0x04
TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO = 0x100, 0x200, 0x400, 0x800
_CONTAINERS = frozenset({"moov", "trak", "mdia", "minf", "stbl", "moof", "traf", "mvex", "edts"})


@dataclass(frozen=True, slots=True)
class Box:
    """One box: where its header starts, how long the header is, where it ends."""

    type: str
    start: int
    header: int
    end: int

    @property
    def payload(self) -> int:
        """Offset of the first byte after the header."""
        return self.start + self.header


def parse_header(data: bytes | bytearray, offset: int, limit: int) -> Box | None:
    """The box whose header starts at `offset`, or None while its header or body is incomplete.

    Raises ValueError for a header that cannot be valid (size smaller than the header).
    """
    if limit - offset < 8:
        return None
    size, raw_type = struct.unpack_from(">I4s", data, offset)
    header = 8
    if size == 1:
        if limit - offset < 16:
            return None
        (size,) = struct.unpack_from(">Q", data, offset + 8)
        header = 16
    elif size == 0:
        raise ValueError(f"box at {offset} extends to end of file: not allowed in a stream")
    if size < header:
        raise ValueError(f"box at {offset} has size {size}, smaller than its header")
    if offset + size > limit:
        return None
    return Box(raw_type.decode("latin-1"), offset, header, offset + size)


def iter_boxes(data: bytes | bytearray, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The complete boxes laid end to end in data[start:end]; stops at an incomplete one."""
    limit = len(data) if end is None else end
    offset = start
    while True:
        box = parse_header(data, offset, limit)
        if box is None:
            return
        yield box
        offset = box.end


def find_path(data: bytes, path: str, start: int = 0, end: int | None = None) -> list[Box]:
    """Every box at the slash-separated `path` (e.g. "moov/trak/tkhd"), descending containers."""
    first, _, rest = path.partition("/")
    found: list[Box] = []
    for box in iter_boxes(data, start, end):
        if box.type != first:
            continue
        if not rest:
            found.append(box)
        elif box.type in _CONTAINERS:
            found.extend(find_path(data, rest, box.payload, box.end))
        elif box.type == "stsd":
            # stsd: version/flags + entry count, then sample entries
            found.extend(find_sample_entry_child(data, box, rest))
    return found


def find_sample_entry_child(data: bytes, stsd: Box, rest: str) -> list[Box]:
    """Children of a visual sample entry (avc1/avc3 -> avcC), the only entries we look into."""
    entry_name, _, child = rest.partition("/")
    found: list[Box] = []
    for entry in iter_boxes(data, stsd.payload + 8, stsd.end):
        if entry.type != entry_name:
            continue
        if not child:
            found.append(entry)
            continue
        # VisualSampleEntry: 8 (SampleEntry) + 70 bytes before its child boxes
        found.extend(b for b in iter_boxes(data, entry.payload + 78, entry.end) if b.type == child)
    return found


def _full_box_version(data: bytes, box: Box) -> int:
    return data[box.payload]


def _track_id(data: bytes, header: Box) -> int:
    """The track_ID of a tkhd (after its version-sized times) or a tfhd (its first field)."""
    if header.type == "tfhd":
        offset = header.payload + 4
    else:
        offset = header.payload + (20 if _full_box_version(data, header) == 1 else 12)
    track_id: int = struct.unpack_from(">I", data, offset)[0]
    return track_id


def _tfdt_time(data: bytes, tfdt: Box) -> int:
    """baseMediaDecodeTime: 64 bits in a version 1 tfdt, 32 in version 0."""
    if _full_box_version(data, tfdt) == 1:
        time: int = struct.unpack_from(">Q", data, tfdt.payload + 4)[0]
    else:
        time = struct.unpack_from(">I", data, tfdt.payload + 4)[0]
    return time


def track_handlers(init: bytes) -> dict[str, int]:
    """Track id per handler type ("vide", "soun") from an init segment's moov."""
    result: dict[str, int] = {}
    for trak in find_path(init, "moov/trak"):
        tkhds = find_path(init, "tkhd", trak.payload, trak.end)
        hdlrs = find_path(init, "mdia/hdlr", trak.payload, trak.end)
        if not tkhds or not hdlrs:
            raise ValueError("trak without tkhd or hdlr")
        track_id = _track_id(init, tkhds[0])
        handler = init[hdlrs[0].payload + 8 : hdlrs[0].payload + 12].decode("latin-1")
        result.setdefault(handler, track_id)
    return result


def avc_configuration(init: bytes) -> bytes:
    """The AVCDecoderConfigurationRecord (avcC payload) of the first avc1/avc3 track."""
    for entry in ("avc1", "avc3"):
        boxes = find_path(init, f"moov/trak/mdia/minf/stbl/stsd/{entry}/avcC")
        if boxes:
            return init[boxes[0].payload : boxes[0].end]
    raise ValueError("init segment has no avcC box")


def complete_length(data: bytes) -> int:
    """Bytes of whole moof+mdat pairs at the start of a partial fMP4 segment."""
    good = 0
    moof_seen = False
    for box in iter_boxes(data):
        if box.type == "moof":
            moof_seen = True
        elif box.type == "mdat" and moof_seen:
            good, moof_seen = box.end, False
    return good


def video_track_of(init: bytes) -> tuple[int, int]:
    """(track id, timescale) of an fMP4 init segment's video track."""
    track_id = track_handlers(init)["vide"]
    return track_id, track_timescale(init, track_id)


def video_timing(segment: bytes, track_id: int, timescale: int) -> tuple[int, float]:
    """(video samples, seconds from the first sample's start to the last one's end)."""
    frames = 0
    first: int | None = None
    end = 0
    for moof in find_path(segment, "moof"):
        for traf in find_path(segment, "traf", moof.payload, moof.end):
            tfhd = find_path(segment, "tfhd", traf.payload, traf.end)[0]
            if _track_id(segment, tfhd) != track_id:
                continue
            tfdt = find_path(segment, "tfdt", traf.payload, traf.end)[0]
            start = _tfdt_time(segment, tfdt)
            first = start if first is None else first
            count, duration = _trun_totals(segment, traf, _default_duration(segment, tfhd))
            frames += count
            end = start + duration
    if first is None:
        return 0, 0.0
    return frames, (end - first) / timescale


def track_timescale(init: bytes, track_id: int) -> int:
    """The timescale (mdhd) of a track of an init segment."""
    for trak in find_path(init, "moov/trak"):
        tkhd = find_path(init, "tkhd", trak.payload, trak.end)[0]
        if _track_id(init, tkhd) != track_id:
            continue
        mdhd = find_path(init, "mdia/mdhd", trak.payload, trak.end)[0]
        offset = mdhd.payload + (20 if init[mdhd.payload] == 1 else 12)
        timescale: int = struct.unpack_from(">I", init, offset)[0]
        return timescale
    raise ValueError(f"init segment has no track {track_id}")


def _default_duration(data: bytes, tfhd: Box) -> int:
    flags = int.from_bytes(data[tfhd.payload + 1 : tfhd.payload + 4], "big")
    if not flags & TFHD_DEFAULT_DURATION:
        return 0
    offset = tfhd.payload + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
    duration: int = struct.unpack_from(">I", data, offset)[0]
    return duration


def _trun_totals(data: bytes, traf: Box, default_duration: int) -> tuple[int, int]:
    """(sample count, summed duration) over the track fragment's trun boxes."""
    count = total = 0
    for trun in find_path(data, "trun", traf.payload, traf.end):
        flags = int.from_bytes(data[trun.payload + 1 : trun.payload + 4], "big")
        (samples,) = struct.unpack_from(">I", data, trun.payload + 4)
        offset = trun.payload + 8
        offset += 4 if flags & TRUN_DATA_OFFSET else 0
        offset += 4 if flags & TRUN_FIRST_FLAGS else 0
        per_sample = 4 * sum(
            bool(flags & f) for f in (TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO)
        )
        for index in range(samples):
            if flags & TRUN_DURATION:
                total += struct.unpack_from(">I", data, offset + index * per_sample)[0]
            else:
                total += default_duration
        count += samples
    return count, total
