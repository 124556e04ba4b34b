"""Read an archived track back the way a player does: playlist, init, segments, decode."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import av
import av.logging
import httpx


@dataclass
class Epoch:
    """Media that one init segment describes: init + its segments, playable as one file."""

    init: bytes
    segments: list[bytes] = field(default_factory=list)

    def file(self) -> bytes:
        return self.init + b"".join(self.segments)


@dataclass
class ArchivedTrack:
    playlist: str
    epochs: list[Epoch]
    durations: list[float]

    @property
    def duration_s(self) -> float:
        return sum(self.durations)


async def fetch_track(client: httpx.AsyncClient, playlist_url: str) -> ArchivedTrack:
    """Follow the playlist like a player: plain GETs, relative URIs, redirects allowed."""
    response = await client.get(playlist_url)
    assert response.status_code == 200, response.text
    text = response.text
    epochs: list[Epoch] = []
    durations: list[float] = []
    plain = httpx.AsyncClient(timeout=30, follow_redirects=True)  # no token: links are signed
    async with plain:
        base = str(response.url)
        for line in text.splitlines():
            if line.startswith("#EXT-X-MAP:"):
                uri = re.search(r'URI="([^"]+)"', line)
                assert uri is not None, line
                init = await plain.get(urljoin(base, uri.group(1)))
                assert init.status_code == 200, init.text
                epochs.append(Epoch(init=init.content))
            elif line.startswith("#EXTINF:"):
                durations.append(float(line.split(":", 1)[1].split(",", 1)[0]))
            elif line and not line.startswith("#"):
                segment = await plain.get(urljoin(base, line))
                assert segment.status_code == 200, segment.text
                epochs[-1].segments.append(segment.content)
    return ArchivedTrack(playlist=text, epochs=epochs, durations=durations)


@dataclass
class Decoded:
    video_frames: int = 0
    audio_frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    slice_nals: list[bytes] = field(default_factory=list)


def decode(data: bytes) -> Decoded:
    """Decode every frame, failing on any error FFmpeg reports; collect the slice NAL units."""
    result = Decoded()
    av.logging.set_level(av.logging.ERROR)
    with av.logging.Capture() as logs, av.open(io.BytesIO(data), mode="r") as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            if packet.stream.type == "video":
                result.slice_nals.extend(slice_nals_avcc(bytes(packet)))
            for frame in packet.decode():
                if packet.stream.type == "video":
                    result.video_frames += 1
                    result.sizes.add((frame.width, frame.height))
                else:
                    result.audio_frames += 1
    av.logging.set_level(None)
    errors = [entry for entry in logs if entry[0] <= av.logging.ERROR]
    assert not errors, f"FFmpeg reported errors while decoding: {errors[:5]}"
    return result


def slice_nals_avcc(sample: bytes) -> list[bytes]:
    """Coded slice NAL units (types 1 and 5) of a length-prefixed MP4 sample."""
    nals = []
    position = 0
    while position + 4 <= len(sample):
        length = int.from_bytes(sample[position : position + 4], "big")
        nal = sample[position + 4 : position + 4 + length]
        if nal and nal[0] & 0x1F in (1, 5):
            nals.append(nal)
        position += 4 + length
    return nals


def slice_nals_annexb(data: bytes) -> list[bytes]:
    """Coded slice NAL units of an Annex-B byte stream (start codes)."""
    parts = re.split(b"\x00\x00\x01", data)
    nals = []
    for part in parts:
        nal = part.rstrip(b"\x00")
        if nal and nal[0] & 0x1F in (1, 5):
            nals.append(nal)
    return nals


def source_slice_nals(clip_path: str) -> list[bytes]:
    """The slice NAL units a publisher sends from an MPEG-TS clip, in order."""
    nals: list[bytes] = []
    with av.open(clip_path) as container:
        for packet in container.demux(video=0):
            if packet.size:
                nals.extend(slice_nals_annexb(bytes(packet)))
    return nals


def is_contiguous_run(needle: list[bytes], haystack: list[bytes]) -> bool:
    """True when `needle` appears in `haystack` in order without anything missing between."""
    if not needle:
        return False
    try:
        start = haystack.index(needle[0])
    except ValueError:
        return False
    return haystack[start : start + len(needle)] == needle
