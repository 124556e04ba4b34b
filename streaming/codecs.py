"""What Courtcast accepts from publishers: H.264 in every common profile, VP8 and Opus.

aiortc offers only Constrained Baseline H.264; OBS and hardware encoders send
Main or High. Since nothing here decodes, any profile with packetization-mode 1
can be recorded and relayed as it arrives.
"""

from __future__ import annotations

from aiortc.codecs import CODECS
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters

H264_EXTRA_PROFILES = ("4d001f", "64001f", "640c1f")  # Main, High, Constrained High
OPUS_PARAMETERS = {"minptime": 10, "useinbandfec": 1}


def install_codecs() -> None:
    """Extend aiortc's process-wide codec table once (idempotent)."""
    video = CODECS["video"]
    known = {str(c.parameters.get("profile-level-id", "")) for c in video}
    next_pt = max(c.payloadType or 0 for c in video) + 1
    for profile_level_id in H264_EXTRA_PROFILES:
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
    opus = next(c for c in CODECS["audio"] if c.mimeType.lower() == "audio/opus")
    opus.parameters.update(OPUS_PARAMETERS)
