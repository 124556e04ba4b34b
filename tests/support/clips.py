"""Pre-encoded test clips: what a camera would send, made once with PyAV.

MPEG-TS with Annex-B H.264 (SPS/PPS repeated before every IDR, no B-frames, as
WebRTC publishers send) and 20 ms Opus packets, so `MediaPlayer(decode=False)`
can send it without transcoding. Each picture carries its frame number as a
row of black and white blocks, so a reader can tell frames apart.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
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
    detail: bool = False,
    codec: str = "h264",
) -> Path:
    """Write the clip; with `resolution_change_at` the picture size switches mid-stream.

    `codec="vp8"` writes WebM with VP8 instead, as a VP8-only publisher would send.

    `detail` adds a drifting texture and fresh grain to every picture, so that x264 spends
    about `bitrate` as a real camera would (the plain gradient compresses far below it).
    """
    total = round(seconds * fps)
    switch = total if resolution_change_at is None else round(resolution_change_at * fps)
    with av.open(str(path), "w", format="webm" if codec == "vp8" else "mpegts") as out:
        if codec == "vp8":
            video = _vp8_stream(out, width, height, fps, gop, bitrate)
        else:
            video = _h264_stream(out, width, height, fps, gop, bitrate, profile)
        audio = out.add_stream("libopus", rate=AUDIO_RATE, layout="mono")
        audio.bit_rate = 64_000
        encoders = [(video.codec_context, width, height, 0, switch)]
        if switch < total:
            w2, h2 = second_size or (width * 2, height * 2)
            encoders.append(
                (_h264_context(w2, h2, fps, gop, bitrate, profile), w2, h2, switch, total)
            )
        tone = _encode_tone(audio, seconds)  # muxed in time order with the video, as a camera sends
        for context, w, h, first, end in encoders:
            for number in range(first, end):
                while tone and tone[0].pts is not None and tone[0].pts * fps <= number * AUDIO_RATE:
                    out.mux(tone.pop(0))
                picture = _picture(number, w, h, detail=detail)
                frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
                frame.pts = number
                frame.time_base = Fraction(1, fps)
                _mux_all(out, video, context.encode(frame))
            _mux_all(out, video, context.encode(None))
        for packet in tone:
            out.mux(packet)
    return path


def _h264_options(gop: int, profile: str) -> dict[str, str]:
    return {
        "preset": "superfast",  # ultrafast would fall back to Constrained Baseline
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


def _vp8_stream(
    out: av.container.OutputContainer, width: int, height: int, fps: int, gop: int, bitrate: int
) -> VideoStream:
    options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "kf-max-dist": str(gop),
        "lag-in-frames": "0",
    }
    stream = out.add_stream("libvpx", rate=fps, options=options)
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


def _picture(number: int, width: int, height: int, *, detail: bool = False) -> np.ndarray:
    """A moving gradient with the frame number as blocks along the top."""
    rows = height * 3 // 2
    image = np.empty((rows, width), dtype=np.uint8)
    x = np.arange(width, dtype=np.uint16)
    image[:height] = ((x[None, :] + number * 4 + np.arange(height)[:, None]) % 220 + 16).astype(
        np.uint8
    )
    if detail:
        image[:height] = _add_detail(image[:height], number)
    image[height:] = 128
    block = max(8, width // (FRAME_NUMBER_BITS * 2))
    for bit in range(FRAME_NUMBER_BITS):
        value = 235 if number >> bit & 1 else 16
        image[0:block, bit * block * 2 : bit * block * 2 + block] = value
    return image


_TEXTURES: dict[tuple[int, int], np.ndarray] = {}
DETAIL_TEXTURE = 24  # amplitude of the drifting texture (luma steps)
DETAIL_GRAIN = 6  # amplitude of the per-frame grain


def _add_detail(luma: np.ndarray, number: int) -> np.ndarray:
    """Texture that drifts (motion search finds part of it) plus grain no predictor finds."""
    height, width = luma.shape
    texture = _TEXTURES.get((height, width))
    if texture is None:
        texture = np.random.default_rng(1).integers(
            -DETAIL_TEXTURE, DETAIL_TEXTURE + 1, size=(height, width * 2), dtype=np.int16
        )
        _TEXTURES[(height, width)] = texture
    shift = (number * 3) % width
    grain = np.random.default_rng(number).integers(
        -DETAIL_GRAIN, DETAIL_GRAIN + 1, size=(height, width), dtype=np.int16
    )
    detailed = luma.astype(np.int16) + texture[:, shift : shift + width] + grain
    return np.clip(detailed, 16, 235).astype(np.uint8)


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


def _encode_tone(stream: av.AudioStream, seconds: float) -> list[av.Packet]:
    packets: list[av.Packet] = []
    samples = np.arange(round(seconds * AUDIO_RATE))
    tone = (0.2 * np.sin(2 * np.pi * 440 * samples / AUDIO_RATE) * 32767).astype(np.int16)
    for start in range(0, len(tone) - OPUS_FRAME + 1, OPUS_FRAME):
        frame = av.AudioFrame.from_ndarray(
            tone[None, start : start + OPUS_FRAME], format="s16", layout="mono"
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        packets += stream.encode(frame)
    return packets + stream.encode(None)


def clip_fixture(name: str = "camera.ts", **options: Any) -> Any:
    """A module-scoped pytest fixture that makes one clip for all tests of a module."""

    @pytest.fixture(scope="module")
    def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return make_clip(tmp_path_factory.mktemp("clips") / name, **options)

    return clip
