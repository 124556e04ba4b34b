"""Just enough ISO-BMFF (ISO/IEC 14496-12) parsing to cut a fragmented MP4 stream.

The segmenter never trusts the muxer's timing of its writes: it reads the box
headers of what came out, splits at `moof` boundaries, and reads each
fragment's `tfdt` to know which segment the fragment belongs to.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

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


def parse_header(data: bytes, offset: int, limit: int) -> Box | None:
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


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
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


def track_handlers(init: bytes) -> dict[str, int]:
    """Track id per handler type ("vide", "soun") from an init segment's moov."""
    result: dict[str, int] = {}
    for trak in find_path(init, "moov/trak"):
        tkhds = find_path(init, "tkhd", trak.payload, trak.end)
        hdlrs = find_path(init, "mdia/hdlr", trak.payload, trak.end)
        if not tkhds or not hdlrs:
            raise ValueError("trak without tkhd or hdlr")
        tkhd = tkhds[0]
        id_offset = tkhd.payload + (20 if _full_box_version(init, tkhd) == 1 else 12)
        (track_id,) = struct.unpack_from(">I", init, id_offset)
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


def decode_times(moof: bytes) -> dict[int, int]:
    """baseMediaDecodeTime of each track fragment in one moof, by track id."""
    result: dict[int, int] = {}
    for traf in find_path(moof, "moof/traf"):
        tfhds = find_path(moof, "tfhd", traf.payload, traf.end)
        tfdts = find_path(moof, "tfdt", traf.payload, traf.end)
        if not tfhds or not tfdts:
            raise ValueError("traf without tfhd or tfdt")
        (track_id,) = struct.unpack_from(">I", moof, tfhds[0].payload + 4)
        tfdt = tfdts[0]
        if _full_box_version(moof, tfdt) == 1:
            (time,) = struct.unpack_from(">Q", moof, tfdt.payload + 4)
        else:
            (time,) = struct.unpack_from(">I", moof, tfdt.payload + 4)
        result[track_id] = time
    return result
