"""What Courtcast accepts from publishers: H.264 in every common profile, VP8 and Opus.

aiortc offers only Constrained Baseline H.264; OBS and hardware encoders send
Main or High. Since nothing here decodes, any profile with packetization-mode 1
can be recorded and relayed as it arrives.
"""

from __future__ import annotations

from streaming.aiortc_hooks import add_h264_profiles, set_opus_parameters

H264_EXTRA_PROFILES = ("4d001f", "64001f", "640c1f")  # Main, High, Constrained High
OPUS_PARAMETERS = {"minptime": 10, "useinbandfec": 1}


def install_codecs() -> None:
    """Extend aiortc's process-wide codec table (idempotent)."""
    add_h264_profiles(H264_EXTRA_PROFILES)
    set_opus_parameters(OPUS_PARAMETERS)
