"""Process-wide patches (codec table, ICE host addresses) and aiortc's packetizers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aioice.ice
from aiortc.codecs import CODECS
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters

from streaming.aiortc_hooks._patching import patched, unpatched


def add_h264_profiles(profile_level_ids: Sequence[str]) -> None:
    """Offer these H.264 profiles (packetization-mode 1, with RTX) besides aiortc's own.

    aiortc 1.16.0 negotiates from the module-level table `aiortc.codecs.CODECS`
    and offers only Constrained Baseline; a profile already in it is skipped.
    """
    video = CODECS["video"]
    known = {str(c.parameters.get("profile-level-id", "")) for c in video}
    next_pt = max(c.payloadType or 0 for c in video) + 1
    for profile_level_id in profile_level_ids:
        if profile_level_id in known:
            continue
        video.append(
            RTCRtpCodecParameters(
                mimeType="video/H264",
                clockRate=90000,
                payloadType=next_pt,
                rtcpFeedback=[
                    RTCRtcpFeedback(type="nack"),
                    RTCRtcpFeedback(type="nack", parameter="pli"),
                    RTCRtcpFeedback(type="goog-remb"),
                ],
                parameters={
                    "level-asymmetry-allowed": "1",
                    "packetization-mode": "1",
                    "profile-level-id": profile_level_id,
                },
            )
        )
        video.append(
            RTCRtpCodecParameters(
                mimeType="video/rtx",
                clockRate=90000,
                payloadType=next_pt + 1,
                parameters={"apt": next_pt},
            )
        )
        next_pt += 2


def set_opus_parameters(parameters: Mapping[str, int]) -> None:
    """Add fmtp parameters to the Opus entry of `CODECS` (aiortc 1.16.0 drops useinbandfec)."""
    opus = next(c for c in CODECS["audio"] if c.mimeType.lower() == "audio/opus")
    opus.parameters.update(parameters)


def gather_host_candidates_on(only: Sequence[str], fallback: str) -> None:
    """Gather host candidates on `only`; when empty, on every interface, else on `fallback`.

    aioice 0.13.0's `Connection.gather_candidates` calls the module-level
    `aioice.ice.get_host_addresses(use_ipv4=..., use_ipv6=...)`, which skips
    loopback and has no option to restrict interfaces. Applying again replaces
    the previous choice.
    """
    chosen = list(only)
    discover = unpatched(aioice.ice.get_host_addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if chosen:
            return chosen
        return discover(use_ipv4=use_ipv4, use_ipv6=use_ipv6) or [fallback]

    aioice.ice.get_host_addresses = patched(host_addresses, discover)


# Packetizers: aiortc's own, without its encoders


def h264_payloads(access_unit: bytes) -> list[bytes]:
    """An Annex-B access unit as FU-A/STAP-A/single-NAL payloads (no start code: none)."""
    return H264Encoder._packetize(H264Encoder._split_bitstream(access_unit))


def vp8_payloads(frame: bytes, picture_id: int) -> list[bytes]:
    """A VP8 frame as payloads with their descriptor (15-bit picture id)."""
    return Vp8Encoder._packetize(frame, picture_id)
