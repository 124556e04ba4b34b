"""The fragments the recorder has just written, kept in memory as LL-HLS parts.

The recorder appends each fMP4 fragment (~0.4 s) to the spool as it completes;
it also hands it here (recorder/session.py `LiveSink`), so the node recording a
camera can list the growing segment's fragments as EXT-X-PARTs long before the
segment is stored and indexed. Per (recording, camera) a `PartTrack` keeps the
open segment and the last few closed ones (bytes, durations, wall-clock starts),
enough for a live window; older ones are dropped, the store has them.

Blocking playlist reload (RFC 8216bis 6.2.5.2) parks on `PartTrack.wait`: one
asyncio.Event per distinct (msn, part) asked for, set when that part exists.
Thousands of parked requests asking for the next part share one event, and
nothing runs per frame: the track is looked at once per fragment. Chunks come
on the event loop (court/recordings.py pumps the recorder there), so the events
are set on the loop that awaits them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recorder.isobmff import video_timing, video_track_of
from recorder.segment_plan import Chunk, FragmentChunk, InitChunk, SegmentClosed

KEPT_SEGMENTS = 7  # the live window (6 segments) and the one growing
TrackKey = tuple[str, str]  # (recording id, camera)
Position = tuple[int, int]  # (media sequence number, part index); part -1: the whole segment


@dataclass(frozen=True, slots=True)
class Part:
    data: bytes
    duration_s: float
    independent: bool  # starts with the segment's keyframe
    started_at: datetime


@dataclass(slots=True)
class LiveSegment:
    """A segment as its fragments came; `duration_s` is None while it grows."""

    msn: int  # media sequence number: the segment's sequence - 1, as the stored playlist says
    epoch: int
    started_at: datetime
    discontinuity: bool
    parts: list[Part] = field(default_factory=list)
    duration_s: float | None = None

    @property
    def closed(self) -> bool:
        return self.duration_s is not None

    @property
    def data(self) -> bytes:
        """The whole segment: its parts, end to end."""
        return b"".join(part.data for part in self.parts)

    @property
    def end(self) -> datetime:
        return self.started_at + timedelta(seconds=sum(p.duration_s for p in self.parts))


class PartTrack:
    """One camera of one recording: its recent segments, their parts, and who waits for one."""

    def __init__(self) -> None:
        self.segments: deque[LiveSegment] = deque()
        self.inits: dict[int, bytes] = {}
        self.dropped_discontinuities = 0  # of segments already dropped: the playlist counts them
        self.stopped = False
        self._video: dict[int, tuple[int, int]] = {}  # epoch -> (track id, timescale)
        self._waiters: dict[Position, asyncio.Event] = {}

    def add(self, chunk: Chunk) -> None:
        if isinstance(chunk, InitChunk):
            self._video[chunk.epoch] = video_track_of(chunk.data)
            self.inits[chunk.epoch] = chunk.data
        elif isinstance(chunk, FragmentChunk):
            self._add_fragment(chunk)
        else:
            self._close(chunk)
        self._release()

    def _add_fragment(self, chunk: FragmentChunk) -> None:
        msn = chunk.sequence - 1
        if not self.segments or self.segments[-1].msn != msn:
            started = datetime.fromtimestamp(chunk.started_at, UTC)
            self.segments.append(LiveSegment(msn, chunk.epoch, started, chunk.discontinuity))
            while len(self.segments) > KEPT_SEGMENTS:
                self.dropped_discontinuities += self.segments.popleft().discontinuity
            kept = {s.epoch for s in self.segments}
            self.inits = {e: data for e, data in self.inits.items() if e in kept}
        segment = self.segments[-1]
        track, timescale = self._video[chunk.epoch]
        _, duration = video_timing(chunk.data, track, timescale)
        segment.parts.append(Part(chunk.data, duration, not segment.parts, segment.end))

    def _close(self, chunk: SegmentClosed) -> None:
        for segment in self.segments:
            if segment.msn == chunk.sequence - 1:
                segment.duration_s = chunk.duration_s

    def stop(self) -> None:
        """Nothing more will come: every parked request is answered now."""
        self.stopped = True
        self._release()

    def segment(self, msn: int) -> LiveSegment | None:
        return next((s for s in self.segments if s.msn == msn), None)

    @property
    def last_msn(self) -> int | None:
        return self.segments[-1].msn if self.segments else None

    def reached(self, msn: int, part: int) -> bool:
        """Whether the playlist already has part `part` of segment `msn` (-1: the whole
        segment), or something later. A part index past a closed segment's last part asks
        for the next segment's first part."""
        last = self.last_msn
        if self.stopped or (last is not None and last > msn):
            return True
        segment = self.segment(msn)
        if segment is None:
            return False
        if part < 0:
            return segment.closed
        return len(segment.parts) > part or segment.closed

    async def wait(self, msn: int, part: int, timeout_s: float) -> bool:
        """Until `reached(msn, part)`; False when `timeout_s` passed first."""
        if self.reached(msn, part):
            return True
        event = self._waiters.setdefault((msn, part), asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def _release(self) -> None:
        for position in [p for p in self._waiters if self.reached(*p)]:
            self._waiters.pop(position).set()


class RecordingParts:
    """The recorder's `LiveSink` for one recording: chunks go to that camera's track."""

    def __init__(self, owner: LiveParts, recording_id: str) -> None:
        self._owner = owner
        self._recording_id = recording_id

    def chunk(self, camera: str, chunk: Chunk) -> None:
        key = (self._recording_id, camera)
        if isinstance(chunk, InitChunk) and not chunk.codecs.startswith("avc1"):
            self._owner.drop(key)  # WebM (VP8) has no parts: its viewers get stored segments
            return
        track = self._owner.tracks.get(key)
        if track is None:
            if not isinstance(chunk, InitChunk):
                return  # a track begins with its init
            track = self._owner.tracks[key] = PartTrack()
        track.add(chunk)

    def stopped(self) -> None:
        for key in [k for k in self._owner.tracks if k[0] == self._recording_id]:
            self._owner.drop(key)


class LiveParts:
    """Every part track of the recordings running on this node."""

    def __init__(self, *, fragment_s: float) -> None:
        self.fragment_s = fragment_s
        self.tracks: dict[TrackKey, PartTrack] = {}

    def sink(self, recording_id: str) -> RecordingParts:
        return RecordingParts(self, recording_id)

    def track(self, recording_id: str, camera: str) -> PartTrack | None:
        return self.tracks.get((recording_id, camera))

    def drop(self, key: TrackKey) -> None:
        track = self.tracks.pop(key, None)
        if track is not None:
            track.stop()
