"""Just enough EBML (RFC 8794) to split a live WebM stream at element boundaries.

The WebM writer reads the element headers of what the muxer wrote, never its
write calls: the init is everything before the first Cluster, and each
complete Cluster is one unit of output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
INFO = 0x1549A966
TRACKS = 0x1654AE6B
CLUSTER = 0x1F43B675
TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3


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
