"""Pre-encoded test clips: what a camera would send, made once with PyAV.

MPEG-TS with Annex-B H.264 (SPS/PPS repeated before every IDR, no B-frames, as
WebRTC publishers send) and 20 ms Opus packets, so `MediaPlayer(decode=False)`
can send it without transcoding. Each picture carries its frame number as a
row of black and white blocks, so a reader can tell frames apart.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.stream import VideoStream

FRAME_NUMBER_BITS = 16
AUDIO_RATE = 48_000
OPUS_FRAME = 960  # 20 ms


def make_clip(
    path: Path,
    *,
    seconds: float,
    width: int,
    height: int,
    fps: int = 30,
    gop: int = 60,
    bitrate: int = 2_500_000,
    profile: str = "high",
    resolution_change_at: float | None = None,
    second_size: tuple[int, int] | None = None,
) -> Path:
    """Write the clip; with `resolution_change_at` the picture size switches mid-stream."""
    total = round(seconds * fps)
    switch = total if resolution_change_at is None else round(resolution_change_at * fps)
    with av.open(str(path), "w", format="mpegts") as out:
        video = _h264_stream(out, width, height, fps, gop, bitrate, profile)
        audio = out.add_stream("libopus", rate=AUDIO_RATE, layout="mono")
        audio.bit_rate = 64_000
        encoders = [(video.codec_context, width, height, 0, switch)]
        if switch < total:
            w2, h2 = second_size or (width * 2, height * 2)
            encoders.append(
                (_h264_context(w2, h2, fps, gop, bitrate, profile), w2, h2, switch, total)
            )
        for context, w, h, first, end in encoders:
            for number in range(first, end):
                frame = av.VideoFrame.from_ndarray(_picture(number, w, h), format="yuv420p")
                frame.pts = number
                frame.time_base = Fraction(1, fps)
                _mux_all(out, video, context.encode(frame))
            _mux_all(out, video, context.encode(None))
        _write_tone(out, audio, seconds)
    return path


def _h264_options(gop: int, profile: str) -> dict[str, str]:
    return {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "profile": profile,
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:repeat-headers=1",
    }


def _h264_stream(
    out: av.container.OutputContainer,
    width: int,
    height: int,
    fps: int,
    gop: int,
    bitrate: int,
    profile: str,
) -> VideoStream:
    stream = out.add_stream("libx264", rate=fps, options=_h264_options(gop, profile))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.bit_rate = bitrate
    stream.codec_context.time_base = Fraction(1, fps)
    return stream


def _h264_context(
    width: int, height: int, fps: int, gop: int, bitrate: int, profile: str
) -> av.VideoCodecContext:
    context = av.CodecContext.create("libx264", "w")
    assert isinstance(context, av.VideoCodecContext)
    context.width, context.height, context.pix_fmt = width, height, "yuv420p"
    context.bit_rate = bitrate
    context.time_base = Fraction(1, fps)
    context.framerate = Fraction(fps)
    context.options = _h264_options(gop, profile)
    return context


def _mux_all(
    out: av.container.OutputContainer, stream: VideoStream, packets: list[av.Packet]
) -> None:
    for packet in packets:
        packet.stream = stream
        out.mux(packet)


def _picture(number: int, width: int, height: int) -> np.ndarray:
    """A moving gradient with the frame number as blocks along the top."""
    rows = height * 3 // 2
    image = np.empty((rows, width), dtype=np.uint8)
    x = np.arange(width, dtype=np.uint16)
    image[:height] = ((x[None, :] + number * 4 + np.arange(height)[:, None]) % 220 + 16).astype(
        np.uint8
    )
    image[height:] = 128
    block = max(8, width // (FRAME_NUMBER_BITS * 2))
    for bit in range(FRAME_NUMBER_BITS):
        value = 235 if number >> bit & 1 else 16
        image[0:block, bit * block * 2 : bit * block * 2 + block] = value
    return image


def read_frame_number(gray_top_rows: np.ndarray) -> int:
    """The number drawn by `_picture`, read back from a decoded picture's luma plane."""
    width = gray_top_rows.shape[1]
    block = max(8, width // (FRAME_NUMBER_BITS * 2))
    number = 0
    for bit in range(FRAME_NUMBER_BITS):
        cell = gray_top_rows[
            block // 4 : block * 3 // 4,
            bit * block * 2 + block // 4 : bit * block * 2 + block * 3 // 4,
        ]
        if cell.mean() > 128:
            number |= 1 << bit
    return number


def _write_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    samples = np.arange(round(seconds * AUDIO_RATE))
    tone = (0.2 * np.sin(2 * np.pi * 440 * samples / AUDIO_RATE) * 32767).astype(np.int16)
    for start in range(0, len(tone) - OPUS_FRAME + 1, OPUS_FRAME):
        frame = av.AudioFrame.from_ndarray(
            tone[None, start : start + OPUS_FRAME], format="s16", layout="mono"
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
