"""Offer checks name what is wrong; the answer gains Chromium's bitrate hints."""

from __future__ import annotations

import pytest

from streaming.sdp import BITRATE_HINTS, validate_offer, with_bitrate_hints, without_mdns_candidates

OFFER = "\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:abcdefghijklmnopqrstuvwx",
        "a=fingerprint:sha-256 AA:BB",
        "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        "a=candidate:2 1 udp 1 0b1e6b4f-1c0b-4b0e-9c3e-1d1b2c3d4e5f.local 5001 typ host",
    ]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \r\n", "empty"),
        ("hello", "start with 'v=0'"),
        ("v=0\nthis is not sdp", "line 2"),
        ("v=0\ns=-", "no audio or video"),
        (OFFER.replace("a=fingerprint:sha-256 AA:BB\n", ""), "fingerprint"),
        (OFFER.replace("a=ice-ufrag:abcd\n", ""), "ICE credentials"),
    ],
)
def test_bad_offers_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_offer(text)


def test_good_offer_gets_crlf_line_endings() -> None:
    normalised = validate_offer(OFFER)
    assert normalised.endswith("\r\n")
    assert normalised.count("\r\n") == OFFER.count("\n") + 1


def test_mdns_candidates_are_dropped() -> None:
    kept = without_mdns_candidates(validate_offer(OFFER))
    assert "127.0.0.1 5000" in kept
    assert ".local" not in kept


def test_bitrate_hints_on_every_video_codec_and_none_on_audio() -> None:
    answer = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 minptime=10;useinbandfec=1",
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102",
            "a=rtpmap:96 VP8/90000",
            "a=rtpmap:97 rtx/90000",
            "a=fmtp:97 apt=96",
            "a=rtpmap:102 H264/90000",
            "a=fmtp:102 packetization-mode=1;profile-level-id=42001f",
        ]
    )
    lines = with_bitrate_hints(answer).split("\r\n")
    assert f"a=fmtp:102 packetization-mode=1;profile-level-id=42001f;{BITRATE_HINTS}" in lines
    assert lines[lines.index("a=rtpmap:96 VP8/90000") + 1] == f"a=fmtp:96 {BITRATE_HINTS}"
    assert "a=fmtp:97 apt=96" in lines
    assert "a=fmtp:111 minptime=10;useinbandfec=1" in lines
