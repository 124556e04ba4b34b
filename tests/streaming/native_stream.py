"""For the native paths' tests: the extensions (required where CI or tests/run say so,
else its tests skip) and a synthetic SRTP stream, deterministic from its seed: H.264 (a
keyframe of `key_packets` FU-A packets every `gop` frames, P frames of ~8) and Opus every
20 ms, with mid and abs-send-time extensions, protected by pylibsrtp as aiortc's sender does."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import pylibsrtp
import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from streaming.aiortc_hooks import h264_payloads


def require_native() -> None:
    """Skip the calling test module where the extension was not built, fail where required."""
    try:
        import streaming.native._rx
        import streaming.native._tx  # noqa: F401
    except ImportError:
        if os.environ.get("CI") or os.environ.get("COURTCAST_REQUIRE_NATIVE"):
            raise
        pytest.skip("streaming/native is not built (no C compiler)", allow_module_level=True)


VIDEO_PT, AUDIO_PT, RTX_PT = 102, 111, 103
VIDEO_SSRC, AUDIO_SSRC, RTX_SSRC = 0x11111111, 0x22222222, 0x33333333
PROFILES = {  # what aiortc offers: profile, master key + salt length
    "cm": (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
    "gcm128": (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
    "gcm256": (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44),
}


def session(profile: str, key: bytes, inbound: bool = True) -> pylibsrtp.Session:
    """What aiortc's RTCDtlsTransport._setup_srtp makes."""
    ssrc_type = pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    policy = pylibsrtp.Policy(key=key, ssrc_type=ssrc_type, srtp_profile=PROFILES[profile][0])
    policy.allow_repeat_tx = True
    policy.window_size = 1024
    return pylibsrtp.Session(policy)


def extensions_map() -> HeaderExtensionsMap:
    extensions = HeaderExtensionsMap()
    mid = RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
    send_time = RTCRtpHeaderExtensionParameters(
        id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    )
    extensions.configure(RTCRtpParameters(headerExtensions=[mid, send_time]))
    return extensions


@dataclass
class Stream:
    profile: str
    key: bytes
    rtp: list[bytes] = field(default_factory=list)  # plain RTP, in send order
    srtp: list[bytes] = field(default_factory=list)
    frames: list[tuple[int, int, bytes]] = field(default_factory=list)  # ssrc, timestamp, data


def nal_body(rnd: random.Random, size: int) -> bytes:
    """Random bytes without a zero byte, so no start code hides in a NAL unit, as an encoder's
    emulation prevention ensures (a stray 00 00 01 would be split there and come back with a
    four-byte start code, one byte longer)."""
    return rnd.randbytes(size).replace(b"\x00", b"\x01")


def make_stream(
    seconds: float,
    profile: str = "cm",
    seed: int = 1,
    first_seq: int = 65000,  # the sequence number wraps early
    gop: int = 60,
    key_packets: int = 30,
) -> Stream:
    rnd = random.Random(seed)
    stream = Stream(profile, rnd.randbytes(PROFILES[profile][1]))
    extensions = extensions_map()
    events: list[tuple[float, int, bytes]] = []  # send time, order, RTP

    def add(time: float, packet: RtpPacket, mid: str) -> None:
        packet.extensions.mid = mid
        packet.extensions.abs_send_time = int(time * (1 << 18)) & 0xFFFFFF
        events.append((time, len(events), packet.serialize(extensions)))

    video_seq, audio_seq = first_seq, rnd.randrange(65536)
    video_ts, audio_ts = rnd.randrange(1 << 32), rnd.randrange(1 << 32)
    for i in range(int(seconds * 30)):
        if i % gop == 0:
            idr = b"\x65" + nal_body(rnd, key_packets * 1297 - 200)
            nals = [b"\x67" + nal_body(rnd, 20), b"\x68" + nal_body(rnd, 4), idr]
        else:
            nals = [b"\x41" + nal_body(rnd, int(8 * 1297 * rnd.uniform(0.8, 1.0)))]
        access_unit = b"".join(b"\x00\x00\x00\x01" + nal for nal in nals)
        timestamp = (video_ts + i * 3000) & 0xFFFFFFFF
        stream.frames.append((VIDEO_SSRC, timestamp, access_unit))
        payloads = h264_payloads(access_unit)
        for j, payload in enumerate(payloads):
            marker = int(j == len(payloads) - 1)
            packet = RtpPacket(VIDEO_PT, marker, video_seq, timestamp, VIDEO_SSRC, payload)
            add(i / 30, packet, "0")
            video_seq = (video_seq + 1) & 0xFFFF
    for i in range(int(seconds * 50)):
        payload = b"\xfc" + rnd.randbytes(rnd.randrange(80, 140))
        timestamp = (audio_ts + i * 960) & 0xFFFFFFFF
        stream.frames.append((AUDIO_SSRC, timestamp, payload))
        packet = RtpPacket(AUDIO_PT, int(i == 0), audio_seq, timestamp, AUDIO_SSRC, payload)
        add(i / 50 + 0.003, packet, "1")
        audio_seq = (audio_seq + 1) & 0xFFFF
    sender = session(profile, stream.key, inbound=False)
    for _, _, rtp in sorted(events):
        stream.rtp.append(rtp)
        stream.srtp.append(sender.protect(rtp))
    return stream
