"""How one camera's frames are cut into epochs, segments and fragments, whatever the container.

An epoch is one init segment's worth of output: it starts at a keyframe that
brings new codec parameters (or a new publication) and its timestamps restart
at 0 there. A segment starts at the first keyframe at least the target
duration after the previous segment's start, and numbers run on across
epochs; the first segment of every epoch after the first is a discontinuity.
Audio is aligned to video by wall clock; a new epoch waits a moment for a
first audio packet before it goes video-only.

The plan does no I/O and imports no muxer: a `ContainerFormat` (fMP4, WebM)
reads keyframes and opens a `MediaWriter` per epoch, and the plan feeds it
frames and assigns what it writes to segments by their video time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from recorder.media import EncodedMedia
from storage.archive import MediaKind

AUDIO_WAIT_S = 1.0  # how long a new epoch waits for a first audio packet before going video-only
_TOLERANCE_S = 0.001  # keyframe cadence jitter tolerated when deciding a cut

AudioFormat = tuple[int, bool]  # (clock rate, stereo)


@dataclass(frozen=True, slots=True)
class InitChunk:
    """A new init segment: starts a new epoch."""

    epoch: int
    data: bytes
    codecs: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class FragmentChunk:
    """One fragment, to be appended to the open segment `sequence`.

    `started_at` and `discontinuity` describe the segment it belongs to, so a
    segment cut short by a crash can still be indexed from its fragments.
    """

    epoch: int
    sequence: int
    data: bytes
    started_at: float
    discontinuity: bool


@dataclass(frozen=True, slots=True)
class SegmentClosed:
    """Segment `sequence` is complete: every FragmentChunk of it was emitted before this."""

    epoch: int
    sequence: int
    started_at: float
    duration_s: float
    frames: int
    discontinuity: bool


Chunk = InitChunk | FragmentChunk | SegmentClosed


class WrittenFragment(Protocol):
    """What a writer hands back per fragment."""

    @property
    def data(self) -> bytes: ...

    @property
    def video_time(self) -> int | None:
        """Video time (writer units) it starts at, None if it cannot start a segment."""
        ...


class MediaWriter(Protocol):
    """A passthrough muxer on a memory sink: what the segment plan needs of it."""

    width: int | None
    height: int | None

    @property
    def has_audio(self) -> bool: ...

    @property
    def codecs(self) -> str:
        """RFC 6381 codecs of the init segment, once `take` returned it."""
        ...

    def write(self, kind: MediaKind, pts: int, data: bytes, keyframe: bool) -> None: ...

    def video_end(self) -> int: ...

    def close(self) -> None: ...

    def video_time(self, pts: int) -> int:
        """A video pts (clock units) in the units of `WrittenFragment.video_time`."""
        ...

    def take(self) -> tuple[bytes | None, Sequence[WrittenFragment]]: ...


@dataclass(frozen=True, slots=True)
class WriterOpening:
    """What a new epoch's writer is opened with."""

    first_key: bytes  # the keyframe that starts the epoch, parameters included
    video_rate: int
    audio: AudioFormat | None  # None: video only
    fragment_s: float


class ContainerFormat(Protocol):
    """A container plugged into the plan: its keyframes and a writer per epoch."""

    def video_key(self, frame: EncodedMedia) -> tuple[bool, tuple[bytes, ...] | None]:
        """Is it a keyframe, and the parameters it starts an epoch with; ValueError if unfit."""
        ...

    def new_writer(self, opening: WriterOpening, drops: Counter[str]) -> MediaWriter:
        """The writer of a new epoch; it may count frames it drops in `drops`."""
        ...


@dataclass(slots=True)
class _Segment:
    sequence: int
    epoch: int
    start_pts: int  # epoch-relative video pts, video clock units
    started_at: float
    discontinuity: bool
    frames: int = 0
    end_pts: int | None = None


class _Epoch:
    """One init segment's worth of output: timestamps restart at 0 on its first keyframe."""

    def __init__(self, number: int, first: EncodedMedia, params: tuple[bytes, ...]) -> None:
        self.number = number
        self.source_id = first.source_id
        self.params = params
        self.first_key = first.data
        self.video_rate = first.clock_rate
        self.video_origin = first.pts
        self.wall_origin = first.wallclock
        self.audio_origin: int | None = None  # input pts of the epoch's first audio packet
        self.audio_offset = 0  # its output pts (wall-clock aligned)
        self.last: dict[str, int] = {}
        self.writer: MediaWriter | None = None
        self.segments: list[_Segment] = []
        self.pending: list[EncodedMedia] = []  # frames waiting for the audio decision

    def output_pts(self, frame: EncodedMedia) -> int | None:
        """Epoch-relative pts in the frame's clock units, None if it precedes the epoch."""
        if frame.kind == "video":
            return frame.pts - self.video_origin
        if self.audio_origin is None:
            offset = round((frame.wallclock - self.wall_origin) * frame.clock_rate)
            if offset < 0:
                return None
            self.audio_origin, self.audio_offset = frame.pts, offset
        return frame.pts - self.audio_origin + self.audio_offset


class SegmentPlan:
    """Cuts one camera's frames into a container's chunks; see the module docstring.

    Push frames, get back what to append, what is complete, and whether to ask
    for a keyframe (RTCP PLI).
    """

    def __init__(
        self, container: ContainerFormat, *, target_segment_s: float, fragment_s: float
    ) -> None:
        if target_segment_s <= 0 or fragment_s <= 0:
            raise ValueError("target_segment_s and fragment_s must be positive")
        self._container = container
        self._target_s = target_segment_s
        self._fragment_s = fragment_s
        self._epoch: _Epoch | None = None
        self._epochs = 0
        self._sequence = 0
        self._open: _Segment | None = None  # the segment whose fragments are being emitted
        self._last_key_wall: float | None = None
        self._last_video_wall: float | None = None
        self._audio: dict[str, AudioFormat] = {}  # by source_id
        self._drops: Counter[str] = Counter()

    @property
    def wants_keyframe(self) -> bool:
        """True before the first keyframe, when none came for target_segment_s, or audio waits."""
        if self._epoch is None or self._last_key_wall is None or self._last_video_wall is None:
            return True
        if self._audio_late(self._epoch):
            return True
        return self._last_video_wall - self._last_key_wall > self._target_s

    def _audio_late(self, epoch: _Epoch) -> bool:
        """Audio began after this epoch went video-only: the next keyframe starts one with audio."""
        writer = epoch.writer
        return writer is not None and not writer.has_audio and epoch.source_id in self._audio

    @property
    def drops(self) -> Mapping[str, int]:
        """Frames not recorded, by reason (before_keyframe, non_increasing, early_audio...)."""
        return dict(self._drops)

    def push(self, frame: EncodedMedia) -> list[Chunk]:
        """Accept one frame; returns the chunks it completed, in order."""
        if frame.kind == "video":
            return self._push_video(frame)
        if frame.kind == "audio":
            return self._push_audio(frame)
        raise ValueError(f"unknown media kind {frame.kind!r}")

    def finish(self) -> list[Chunk]:
        """Flush the muxer and close the last segment."""
        return self._close_epoch()

    def _push_video(self, frame: EncodedMedia) -> list[Chunk]:
        idr, params = self._container.video_key(frame)
        out: list[Chunk] = []
        epoch = self._epoch
        if epoch is not None and frame.source_id != epoch.source_id:
            out += self._close_epoch()
            epoch = None
            self._last_key_wall = None
        self._last_video_wall = frame.wallclock
        if idr:
            self._last_key_wall = frame.wallclock
        if params is not None and (
            epoch is None or params != epoch.params or self._audio_late(epoch)
        ):
            out += self._close_epoch()
            self._epochs += 1
            epoch = self._epoch = _Epoch(self._epochs, frame, params)
            if frame.source_id in self._audio:
                out += self._open_epoch(epoch, self._audio[frame.source_id])
        if epoch is None:
            self._drops["before_keyframe"] += 1
            return out
        if epoch.writer is None:
            epoch.pending.append(frame)
            if (frame.pts - epoch.video_origin) / frame.clock_rate >= AUDIO_WAIT_S:
                out += self._open_epoch(epoch, None)
            return out
        return out + self._write_video(epoch, frame, idr)

    def _push_audio(self, frame: EncodedMedia) -> list[Chunk]:
        if frame.codec != "opus":
            raise ValueError(f"unsupported audio codec {frame.codec!r}: only opus is remuxed")
        epoch = self._epoch
        if epoch is None or frame.source_id != epoch.source_id:
            self._drops["before_keyframe"] += 1
            return []
        if frame.wallclock < epoch.wall_origin:
            self._drops["early_audio"] += 1
            return []
        # Opus TOC byte, bit 2: stereo. Decides the OpusHead channel count.
        stereo = bool(frame.data[0] & 0x04) if frame.data else False
        self._audio.setdefault(frame.source_id, (frame.clock_rate, stereo))
        if epoch.writer is None:
            epoch.pending.append(frame)
            return self._open_epoch(epoch, self._audio[frame.source_id])
        return self._write_audio(epoch, frame)

    def _open_epoch(self, epoch: _Epoch, audio: AudioFormat | None) -> list[Chunk]:
        """Start the muxer and replay what waited for the audio decision."""
        opening = WriterOpening(epoch.first_key, epoch.video_rate, audio, self._fragment_s)
        epoch.writer = self._container.new_writer(opening, self._drops)
        out = self._drain(epoch)
        pending, epoch.pending = epoch.pending, []
        for frame in pending:
            if frame.kind == "video":
                out += self._write_video(epoch, frame, self._container.video_key(frame)[0])
            else:
                out += self._write_audio(epoch, frame)
        return out

    def _write_video(self, epoch: _Epoch, frame: EncodedMedia, idr: bool) -> list[Chunk]:
        assert epoch.writer is not None
        pts = epoch.output_pts(frame)
        assert pts is not None
        if "video" in epoch.last and pts <= epoch.last["video"]:
            self._drops["non_increasing"] += 1
            return []
        epoch.last["video"] = pts
        current = epoch.segments[-1] if epoch.segments else None
        target = (self._target_s - _TOLERANCE_S) * frame.clock_rate
        if idr and (current is None or pts - current.start_pts >= target):
            if current is not None:
                current.end_pts = pts
            self._sequence += 1
            first_of_epoch = current is None and epoch.number > 1
            epoch.segments.append(
                _Segment(self._sequence, epoch.number, pts, frame.wallclock, first_of_epoch)
            )
        epoch.segments[-1].frames += 1
        epoch.writer.write("video", pts, frame.data, idr)
        return self._drain(epoch)

    def _write_audio(self, epoch: _Epoch, frame: EncodedMedia) -> list[Chunk]:
        assert epoch.writer is not None
        if not epoch.writer.has_audio:
            self._drops["no_audio_track"] += 1
            return []
        pts = epoch.output_pts(frame)
        if pts is None:
            self._drops["early_audio"] += 1
            return []
        if "audio" in epoch.last and pts <= epoch.last["audio"]:
            self._drops["non_increasing"] += 1
            return []
        epoch.last["audio"] = pts
        epoch.writer.write("audio", pts, frame.data, True)
        return self._drain(epoch)

    def _close_epoch(self) -> list[Chunk]:
        """Flush the muxer, emit what remains and close the epoch's open segments."""
        epoch, self._epoch = self._epoch, None
        if epoch is None:
            return []
        out: list[Chunk] = []
        if epoch.writer is None:
            if not epoch.pending:
                return []
            out += self._open_epoch(epoch, None)
        assert epoch.writer is not None
        if epoch.segments:
            epoch.segments[-1].end_pts = epoch.writer.video_end()
        epoch.writer.close()
        out += self._drain(epoch)
        first_open = self._open.sequence if self._open is not None else 0
        out += [self._closed(epoch, s) for s in epoch.segments if s.sequence >= first_open]
        self._open = None
        return out

    def _closed(self, epoch: _Epoch, segment: _Segment) -> SegmentClosed:
        assert segment.end_pts is not None, "a segment closes only after its successor started"
        return SegmentClosed(
            epoch=segment.epoch,
            sequence=segment.sequence,
            started_at=segment.started_at,
            duration_s=(segment.end_pts - segment.start_pts) / epoch.video_rate,
            frames=segment.frames,
            discontinuity=segment.discontinuity,
        )

    def _drain(self, epoch: _Epoch) -> list[Chunk]:
        """Turn the muxer's complete output into chunks: init first, then fragments."""
        writer = epoch.writer
        assert writer is not None
        init, fragments = writer.take()
        out: list[Chunk] = []
        if init is not None:
            out.append(InitChunk(epoch.number, init, writer.codecs, writer.width, writer.height))
        for fragment in fragments:
            out += self._fragment(epoch, writer, fragment)
        return out

    def _fragment(
        self, epoch: _Epoch, writer: MediaWriter, fragment: WrittenFragment
    ) -> list[Chunk]:
        """Assign a fragment to a segment by its video time; close segments it moves past.

        A fragment that cannot start a segment (e.g. trailing audio) stays with the open one.
        """
        out: list[Chunk] = []
        video_time = fragment.video_time
        segment = self._open or epoch.segments[0]
        if video_time is not None:
            for candidate in epoch.segments:
                if writer.video_time(candidate.start_pts) <= video_time:
                    segment = candidate
        if self._open is not None and segment.sequence != self._open.sequence:
            for earlier in epoch.segments:
                if self._open.sequence <= earlier.sequence < segment.sequence:
                    out.append(self._closed(epoch, earlier))
        self._open = segment
        # Closed segments are done with: without this, every fragment of a 4-hour epoch
        # would scan its 7,200 segments (1 ms a frame by then; bench/long_recording.py).
        while epoch.segments[0] is not segment:
            del epoch.segments[0]
        number, sequence, started_at = epoch.number, segment.sequence, segment.started_at
        out.append(
            FragmentChunk(number, sequence, fragment.data, started_at, segment.discontinuity)
        )
        return out
