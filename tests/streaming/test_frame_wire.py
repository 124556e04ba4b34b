"""A hub's frames cross to another process's mirror unchanged, and a broken message is
refused whole, never half-applied to a viewer's picture."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streaming.frame_wire import MAX_NAME, decode, encode
from streaming.frames import EncodedFrame, SourceEnded

names = st.text(min_size=1, max_size=40)
frames = st.builds(
    EncodedFrame,
    kind=st.sampled_from(["video", "audio"]),
    codec=st.sampled_from(["h264", "vp8", "opus"]),
    data=st.binary(max_size=2000),
    pts=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    clock_rate=st.sampled_from([90_000, 48_000]),
    keyframe=st.booleans(),
    wallclock=st.floats(allow_nan=False, allow_infinity=False),
    source_id=names,
)


@given(frames)
def test_every_frame_arrives_as_it_was_published(frame: EncodedFrame) -> None:
    assert decode(encode(frame)) == frame


@given(names)
def test_the_end_of_a_publication_arrives_with_its_name(source_id: str) -> None:
    assert decode(encode(SourceEnded(source_id))) == SourceEnded(source_id)


KEYFRAME = EncodedFrame("video", "h264", b"\x00\x00\x00\x01\x65", 3000, 90_000, True, 1.5, "源")


def header(
    kind: bytes = b"v", keyframe: int = 1, rate: int = 90_000, names: tuple = (4, 3)
) -> bytes:
    return struct.pack("!cBqIdBB", kind, keyframe, 0, rate, 0.0, *names)


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (b"", "shorter than its header"),
        (encode(KEYFRAME)[:10], "shorter than its header"),
        (header(kind=b"x") + b"h264pubdata", "bad header"),
        (header(keyframe=2) + b"h264pubdata", "bad header"),
        (header(rate=0) + b"h264pubdata", "bad header"),
        (header(names=(4, 200)) + b"h264pub", "shorter than its names"),
        (header(names=(2, 3)) + b"\xff\xfepubdata", "not UTF-8"),
        (b"E" + b"x" * (MAX_NAME + 1), "too long"),
        (b"E\xc3", "not UTF-8"),
    ],
)
def test_a_message_that_is_not_a_frame_is_refused(message: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        decode(message)


def test_the_payload_is_carried_byte_for_byte() -> None:
    data = bytes(range(256)) * 4000  # a 1 MB keyframe
    frame = EncodedFrame("video", "h264", data, 0, 90_000, True, 0.0, "cam")
    assert decode(encode(frame)).data == data
