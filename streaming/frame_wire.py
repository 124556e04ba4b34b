"""A hub's frames as bytes, so another process can feed a hub of its own with them
(streaming/mirror.py): one message per frame or end of publication, still encoded.

The layout is fixed and length-checked on the way in: a message that does not parse is
refused whole (ValueError), never half-applied, since the sender is another Courtcast
process, but a broken one must not feed a viewer garbage.
"""

from __future__ import annotations

import struct

from storage.archive import MediaKind
from streaming.frames import EncodedFrame, SourceEnded

_FRAME = struct.Struct("!cBqIdBB")  # kind, keyframe, pts, clock rate, wallclock, two lengths
_ENDED = b"E"
_KINDS: dict[bytes, MediaKind] = {b"v": "video", b"a": "audio"}
_KIND_BYTES = {kind: byte for byte, kind in _KINDS.items()}
MAX_NAME = 255  # a codec's or a publication's name


def encode(item: EncodedFrame | SourceEnded) -> bytes:
    """One message: a frame's fields and payload, or the end of a publication."""
    if isinstance(item, SourceEnded):
        return _ENDED + item.source_id.encode()
    codec, source = item.codec.encode(), item.source_id.encode()
    header = _FRAME.pack(
        _KIND_BYTES[item.kind],
        item.keyframe,
        item.pts,
        item.clock_rate,
        item.wallclock,
        len(codec),
        len(source),
    )
    return b"".join((header, codec, source, item.data))


def decode(message: bytes) -> EncodedFrame | SourceEnded:
    """The frame or end a message carries; ValueError if it is not one `encode` made."""
    if message[:1] == _ENDED:
        return SourceEnded(_name(message[1:]))
    if len(message) < _FRAME.size:
        raise ValueError("a frame message shorter than its header")
    kind, keyframe, pts, clock_rate, wallclock, codec_len, source_len = _FRAME.unpack_from(message)
    if kind not in _KINDS or keyframe > 1 or clock_rate == 0:
        raise ValueError("a frame message with a bad header")
    names_end = _FRAME.size + codec_len + source_len
    if len(message) < names_end:
        raise ValueError("a frame message shorter than its names")
    return EncodedFrame(
        kind=_KINDS[kind],
        codec=_name(message[_FRAME.size : _FRAME.size + codec_len]),
        data=message[names_end:],
        pts=pts,
        clock_rate=clock_rate,
        keyframe=bool(keyframe),
        wallclock=wallclock,
        source_id=_name(message[_FRAME.size + codec_len : names_end]),
    )


def _name(raw: bytes) -> str:
    if len(raw) > MAX_NAME:
        raise ValueError("a name in a frame message is too long")
    try:
        return raw.decode()
    except UnicodeDecodeError as bad:
        raise ValueError("a name in a frame message is not UTF-8") from bad
