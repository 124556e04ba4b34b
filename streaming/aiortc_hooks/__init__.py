"""Every private aiortc, aioice and pylibsrtp name Courtcast relies on, and every process-wide
patch.

aiortc has no encoded-frame API (issues #449, #984; PR #562 unmerged) and aioice
no option to choose interfaces, so receiving, recording and relaying without
decoding reach into their internals. Those reaches all live in this package, written
against aiortc 1.16.0, aioice 0.13.0 and pylibsrtp 1.0.0 (pinned exactly in
pyproject.toml), and tests/streaming/test_aiortc_hooks.py pins each one: an upgrade
that moves a name fails there, naming the hook, instead of as a silent stall in a live
hearing. Split by side: `process` (codec table, ICE, packetizers), `receiving`,
`receiver_reports`, `sending`, and `borrowed` (what the C receive path and send side
borrow); callers import from here.
"""

from streaming.aiortc_hooks import borrowed
from streaming.aiortc_hooks._patching import unpatched
from streaming.aiortc_hooks.process import (
    add_h264_profiles,
    gather_host_candidates_on,
    h264_payloads,
    set_opus_parameters,
    vp8_payloads,
)
from streaming.aiortc_hooks.receiver_reports import report_together
from streaming.aiortc_hooks.receiving import (
    ACTIVE_SSRC,
    CODECS_BY_PT,
    DECODER_QUEUE,
    JITTER_BUFFER,
    NACK_GENERATOR,
    REMOTE_STREAMS,
    RTX_SSRC,
    TIMESTAMP_MAPPER,
    FrameDelivery,
    ReceiverState,
    SrtpInput,
    divert_frames_before_decoder,
    handle_rtp_packet,
    keep_sender_rtp_timestamps,
    retransmission_ssrcs,
    send_nack,
    send_pli,
    take_datagrams,
    watch_rtcp,
)
from streaming.aiortc_hooks.sending import (
    SENDER_EXTENSIONS,
    SENDER_MID,
    SENDER_REPORT_FIELDS,
    SENDER_RTP_EVENTS,
    SENDER_RTX_PAYLOAD_TYPE,
    Address,
    FrameWriter,
    OutgoingFrame,
    RtpLoop,
    RtpSendPath,
    forward_keyframe_requests,
    python_writer,
    replace_rtp_loop,
    use_frame_writer,
)

__all__ = [
    "ACTIVE_SSRC",
    "CODECS_BY_PT",
    "DECODER_QUEUE",
    "JITTER_BUFFER",
    "NACK_GENERATOR",
    "REMOTE_STREAMS",
    "RTX_SSRC",
    "SENDER_EXTENSIONS",
    "SENDER_MID",
    "SENDER_REPORT_FIELDS",
    "SENDER_RTP_EVENTS",
    "SENDER_RTX_PAYLOAD_TYPE",
    "TIMESTAMP_MAPPER",
    "Address",
    "FrameDelivery",
    "FrameWriter",
    "OutgoingFrame",
    "ReceiverState",
    "RtpLoop",
    "RtpSendPath",
    "SrtpInput",
    "add_h264_profiles",
    "borrowed",
    "divert_frames_before_decoder",
    "forward_keyframe_requests",
    "gather_host_candidates_on",
    "h264_payloads",
    "handle_rtp_packet",
    "keep_sender_rtp_timestamps",
    "python_writer",
    "replace_rtp_loop",
    "report_together",
    "retransmission_ssrcs",
    "send_nack",
    "send_pli",
    "set_opus_parameters",
    "take_datagrams",
    "unpatched",
    "use_frame_writer",
    "vp8_payloads",
    "watch_rtcp",
]
