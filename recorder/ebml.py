"""Just enough EBML (RFC 8794) for live WebM: read the muxer's init, write Clusters.

The WebM writer reads the element headers of the init the muxer wrote (the
TimestampScale and the track numbers come from there) and writes each Cluster
itself, SimpleBlocks and all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
INFO = 0x1549A966
TRACKS = 0x1654AE6B
TIMESTAMP_SCALE = 0x2AD7B1
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_DELAY = 0x56AA
CLUSTER = 0x1F43B675
TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3

_KEYFRAME = 0x80  # SimpleBlock flags: the frame can be decoded on its own


@dataclass(frozen=True, slots=True)
class Element:
    """One element: where its header starts, how long the header is, where it ends.

    `end` is None for an element of unknown size (a live Segment): its children follow.
    """

    id: int
    start: int
    header: int
    end: int | None

    @property
    def payload(self) -> int:
        """Offset of the first byte after the header."""
        return self.start + self.header


def _vint_length(first: int) -> int:
    """Length of a variable-size integer from its first byte (leading zero bits + 1)."""
    if first == 0:
        raise ValueError("invalid EBML variable-size integer: first byte is 0")
    return 9 - first.bit_length()


def read_vint(data: bytes | bytearray, offset: int, limit: int) -> tuple[int, int] | None:
    """(value without its length marker, length), or None if data[:limit] ends first."""
    if offset >= limit:
        return None
    length = _vint_length(data[offset])
    if offset + length > limit:
        return None
    value = int.from_bytes(data[offset : offset + length], "big")
    return value & ((1 << (7 * length)) - 1), length


def parse_header(data: bytes | bytearray, offset: int, limit: int) -> Element | None:
    """The element whose header starts at `offset`, or None while header or body is incomplete."""
    if offset >= limit:
        return None
    id_length = _vint_length(data[offset])
    if id_length > 4:
        raise ValueError(f"element at {offset} has an ID longer than 4 bytes")
    size = read_vint(data, offset + id_length, limit)
    if size is None:
        return None
    value, size_length = size
    element_id = int.from_bytes(data[offset : offset + id_length], "big")
    header = id_length + size_length
    if value == (1 << (7 * size_length)) - 1:  # all ones: unknown size
        return Element(element_id, offset, header, None)
    end = offset + header + value
    if end > limit:
        return None
    return Element(element_id, offset, header, end)


def iter_elements(
    data: bytes | bytearray, start: int = 0, end: int | None = None
) -> Iterator[Element]:
    """Complete elements laid end to end in data[start:end]; stops at an incomplete one.

    An element of unknown size is yielded last: where it ends is not known.
    """
    limit = len(data) if end is None else end
    offset = start
    while True:
        element = parse_header(data, offset, limit)
        if element is None:
            return
        yield element
        if element.end is None:
            return
        offset = element.end


def read_uint(data: bytes | bytearray, element: Element) -> int:
    """An unsigned integer element's value."""
    assert element.end is not None, "an integer element always has a size"
    return int.from_bytes(data[element.payload : element.end], "big")


def children(data: bytes | bytearray, element: Element) -> Iterator[Element]:
    """The complete child elements of a master element of known size."""
    assert element.end is not None, "only a master element of known size has enumerable children"
    return iter_elements(data, element.payload, element.end)


def encode_vint(value: int) -> bytes:
    """The shortest variable-size integer for `value` (all ones stays reserved for unknown)."""
    length = 1
    while value >= (1 << (7 * length)) - 1:
        length += 1
    if length > 8:
        raise ValueError(f"{value} does not fit an EBML variable-size integer")
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def element(element_id: int, payload: bytes) -> bytes:
    """One element of known size: ID bytes (marker included), size, payload."""
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + (
        encode_vint(len(payload)) + payload
    )


def uint(element_id: int, value: int) -> bytes:
    """An unsigned integer element, in as few bytes as it needs (at least one)."""
    return element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def simple_block(track: int, relative: int, keyframe: bool, frame: bytes) -> bytes:
    """A SimpleBlock: track, signed 16-bit time relative to its Cluster, flags, frame as is."""
    flags = _KEYFRAME if keyframe else 0
    header = encode_vint(track) + relative.to_bytes(2, "big", signed=True) + bytes([flags])
    return element(SIMPLE_BLOCK, header + frame)
