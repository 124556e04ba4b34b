"""A recording: the cameras of one courtroom, each segmented, spooled and handed to the uploader.

Frames arrive per camera from whatever feeds the session (the control room pumps hub
subscriptions in). Cameras may join late, leave and come back: a camera that comes back
continues its track with a new init segment and a discontinuity, never overwriting anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from recorder.containers import CONTAINERS
from recorder.isobmff import video_track_of
from recorder.media import EncodedMedia
from recorder.segment_plan import Chunk, FragmentChunk, InitChunk, SegmentClosed, SegmentPlan
from recorder.spool import SpooledFile, TrackSpool
from recorder.spool_writer import Effect, SpoolWriter
from recorder.uploader import Uploader, UploadJob
from storage.archive import InitRecord, ObjectRecord, OpeningRecord, SegmentRecord
from storage.keys import TrackPrefix, parse_object_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Departure:
    """A camera's footage stopped here (its publisher left, or the spool took no more).

    `last_epoch`: the highest epoch its footage has used; the footage after the gap is the
    first numbered past it, whatever its stamps say. `recorded_until`: the end of the footage
    recorded since it last stopped (a publisher lost without a word is noticed seconds after
    its last frame), None when nothing was."""

    last_epoch: int
    recorded_until: datetime | None = None

    @property
    def footage_ended(self) -> bool:
        """Footage ended here, so a gap opening now is a new one, from `recorded_until`."""
        return self.recorded_until is not None


class LiveSink(Protocol):
    """Hears every chunk as it is made, before it is stored (court/live/live_parts.py serves
    the open segment's fragments as LL-HLS parts). Epochs and sequences are the recording's."""

    def chunk(self, camera: str, chunk: Chunk) -> None: ...

    def stopped(self) -> None:
        """The recording stopped here: nothing more will come."""
        ...


class _NoLiveSink:
    def chunk(self, camera: str, chunk: Chunk) -> None:
        pass

    def stopped(self) -> None:
        pass


NO_LIVE_SINK = _NoLiveSink()


class TrackRecorder:
    """One camera of one recording: segmenter -> spool -> uploader. The segmenter runs on the
    event loop; the spool's file work runs on the camera's `SpoolWriter`, and what follows it
    (the upload, the live part) only once it is on disk, in the order the chunks came."""

    def __init__(
        self,
        *,
        recording_id: str,
        camera: str,
        prefix: TrackPrefix,
        writer: SpoolWriter,
        submit: Callable[[UploadJob], None],
        target_segment_s: float,
        fragment_s: float,
        numbered_until: tuple[int, int] = (0, 0),
        live: LiveSink = NO_LIVE_SINK,
    ) -> None:
        """`numbered_until` is (epoch, sequence) already used by this camera in the recording."""
        self._live = live
        self._recording_id = recording_id
        self._camera = camera
        self._prefix = prefix
        self._writer = writer
        self._spool = writer.spool  # touched only from the writer's jobs
        self._submit = submit
        self._target_segment_s = target_segment_s
        self._fragment_s = fragment_s
        self._segmenter: SegmentPlan | None = None
        self._container = CONTAINERS["h264"]
        self._refused: set[str] = set()
        # Numbers already used by earlier publishers of this camera: a new segmenter continues them.
        self._epoch_base, self._sequence_base = numbered_until
        self._last_epoch, self._last_sequence = numbered_until
        self._resumed = self._sequence_base > 0  # the next segment follows a break
        self._video_tracks: dict[int, tuple[int, int]] = {}  # epoch -> (track id, timescale)
        self._open: OpeningRecord | None = None  # the segment growing in the spool
        self._recorded_until: datetime | None = None  # of the footage since it last left

    @property
    def numbered(self) -> tuple[int, int]:
        """The highest (epoch, sequence) this camera has used in the recording so far."""
        return self._last_epoch, self._last_sequence

    def write(self, frame: EncodedMedia) -> bool:
        """Record one frame; True when the segmenter wants a keyframe (send a PLI)."""
        if self._segmenter is None:
            if frame.kind != "video":
                return True  # nothing is recorded before the first video keyframe
            container = CONTAINERS.get(frame.codec)
            if container is None:
                self._refuse(frame.codec)
                return False
            self._container = container
            self._segmenter = container.segmenter(
                target_segment_s=self._target_segment_s, fragment_s=self._fragment_s
            )
        try:
            events = self._segmenter.push(frame)
        except ValueError as error:  # one unusable frame must not end the camera's recording
            self._refuse(str(error))
            return False
        self._handle(events)
        return self._segmenter.wants_keyframe

    def _refuse(self, reason: str) -> None:
        if reason not in self._refused:
            self._refused.add(reason)
            log.error("camera %s: frames not recorded: %s", self._camera, reason)

    def source_ended(self) -> datetime | None:
        """The publisher left: finish its last segment so it is stored without waiting. The
        end of the footage recorded since it last left; None when none was (no footage ended
        here)."""
        if self._segmenter is not None:
            self._handle(self._segmenter.finish())
            if self._segmenter.drops:
                log.warning(
                    "recording %s camera %s: frames not recorded: %s",
                    self._recording_id,
                    self._camera,
                    dict(self._segmenter.drops),
                )
            self._segmenter = None
            self._epoch_base = self._last_epoch
            self._sequence_base = self._last_sequence
            self._resumed = self._last_sequence > 0
        until, self._recorded_until = self._recorded_until, None
        return until

    @property
    def writes_behind(self) -> int:
        return self._writer.backlog

    @property
    def disk_behind(self) -> bool:  # whether `room()` has anything to wait for
        return self._writer.full

    async def room(self) -> None:
        """Wait while this camera's disk is too far behind (never the other cameras)."""
        await self._writer.room()

    def _handle(self, events: list[InitChunk | FragmentChunk | SegmentClosed]) -> None:
        for event in events:
            epoch = event.epoch + self._epoch_base
            self._last_epoch = max(self._last_epoch, epoch)
            if isinstance(event, InitChunk):
                self._store_init(epoch, event, self._published(replace(event, epoch=epoch)))
            elif isinstance(event, FragmentChunk):
                self._store_fragment(epoch, event)
            else:
                sequence = event.sequence + self._sequence_base
                live = self._published(replace(event, epoch=epoch, sequence=sequence))
                self._store_segment(event, live)

    def _published(self, chunk: Chunk) -> Effect:
        return lambda: self._live.chunk(self._camera, chunk)

    def _store_fragment(self, epoch: int, chunk: FragmentChunk) -> None:
        sequence = chunk.sequence + self._sequence_base
        name = self._segment_name(sequence)
        opening = None
        if sequence > self._last_sequence:
            opening = self._open = self._opening(epoch, sequence, chunk)
            self._last_sequence = sequence
        discontinuity = self._open.discontinuity if self._open else chunk.discontinuity
        live = self._published(
            replace(chunk, epoch=epoch, sequence=sequence, discontinuity=discontinuity)
        )

        def job() -> Effect:
            if opening is not None:
                self._spool.begin_segment(name, opening)
            self._spool.append_fragment(name, chunk.data)
            return live

        self._writer.submit(job)

    def _opening(self, epoch: int, sequence: int, chunk: FragmentChunk) -> OpeningRecord:
        """What recovery needs to index this segment should the process die while it grows;
        the segment's own record is made from it once the segment closes."""
        return OpeningRecord(
            recording_id=self._recording_id,
            camera=self._camera,
            epoch=epoch,
            sequence=sequence,
            key=self._segment_key(sequence),
            extension=self._container.segment_extension,
            video_track=self._video_tracks.get(epoch),
            started_at=datetime.fromtimestamp(chunk.started_at, UTC),
            discontinuity=chunk.discontinuity or self._resumed,
        )

    def _segment_name(self, sequence: int) -> str:
        return _spool_name(self._segment_key(sequence))

    def _segment_key(self, sequence: int) -> str:
        return self._prefix.segment_key(sequence, self._container.segment_extension)

    def _store_init(self, epoch: int, chunk: InitChunk, live: Effect) -> None:
        if self._container.init_extension == "mp4":
            self._video_tracks[epoch] = video_track_of(chunk.data)
        key = self._prefix.init_key(epoch, self._container.init_extension)

        def job() -> Effect:
            spooled = self._spool.write_whole(_spool_name(key), chunk.data)
            record = InitRecord(
                recording_id=self._recording_id,
                camera=self._camera,
                epoch=epoch,
                key=key,
                size=spooled.size,
                sha256=spooled.sha256,
                codecs=chunk.codecs,
                width=chunk.width,
                height=chunk.height,
            )
            return self._hand_over(spooled, record, live)

        self._writer.submit(job)

    def _store_segment(self, closed: SegmentClosed, live: Effect) -> None:
        self._recorded_until = datetime.fromtimestamp(closed.started_at + closed.duration_s, UTC)
        name = self._segment_name(closed.sequence + self._sequence_base)
        opening, self._open, self._resumed = self._open, None, False
        assert opening is not None  # the spool had the segment open, so it began here

        def job() -> Effect:
            spooled = self._spool.finish_segment(name)
            record = opening.finished(
                duration_s=closed.duration_s,
                size=spooled.size,
                sha256=spooled.sha256,
                frames=closed.frames,
            )
            return self._hand_over(spooled, record, live)

        self._writer.submit(job)

    def _hand_over(self, spooled: SpooledFile, record: ObjectRecord, live: Effect) -> Effect:
        """On the spool thread: the record beside the file; then, on the loop, its upload."""
        self._spool.keep_record(spooled, record)
        if isinstance(record, SegmentRecord):
            self._spool.forget_opening(spooled.path.name)

        def effect() -> None:
            self._submit(UploadJob(record, spooled.path))
            live()

        return effect

    async def close(self) -> None:
        """Finish the last segment and wait until everything is on disk and handed over."""
        self.source_ended()
        await self._writer.close()


def _spool_name(key: str) -> str:
    """A spooled file is named as its object is (the last part of its key)."""
    return str(parse_object_key(key).name)


class RecordingSession:
    """All tracks of one recording."""

    def __init__(
        self,
        *,
        recording_id: str,
        spool_dir: Path,
        uploader: Uploader,
        prefix_for: Callable[[str], TrackPrefix],
        request_keyframe: Callable[[str], None],
        target_segment_s: float,
        fragment_s: float,
        numbered_until: dict[str, tuple[int, int]] | None = None,
        accepting: Callable[[], bool] = lambda: True,
        on_held_back: Callable[[str, Departure], None] = lambda camera, departure: None,
        live: LiveSink = NO_LIVE_SINK,
    ) -> None:
        """`accepting` says whether the spool may grow; while it may not, frames are not
        recorded and `on_held_back(camera, departure)` is told once, so the gap is on
        record (`camera_left` gives the departure). `live`
        hears every chunk of every camera as it is made."""
        self._live = live
        self.recording_id = recording_id
        self._numbered_until = numbered_until or {}
        self._accepting = accepting
        self._on_held_back = on_held_back
        self._held_back: set[str] = set()
        self.frames_held_back = 0
        self._spool_dir = spool_dir
        self._uploader = uploader
        self._prefix_for = prefix_for
        self._request_keyframe = request_keyframe
        self._target_segment_s = target_segment_s
        self._fragment_s = fragment_s
        self._tracks: dict[str, TrackRecorder] = {}

    def write_at_once(self, camera: str, frame: EncodedMedia) -> bool:
        """Record one frame if nothing has to be awaited or told: the camera has its track,
        the spool may grow and the camera's disk is not behind. False: `write` it instead."""
        track = self._tracks.get(camera)
        if track is None or track.disk_behind or camera in self._held_back:
            return False
        if not self._accepting():
            return False
        if track.write(frame):
            self._request_keyframe(camera)
        return True

    async def write(self, camera: str, frame: EncodedMedia) -> None:
        """Record one frame; waits only while this camera's disk is too far behind."""
        if not self._accepting():
            self.frames_held_back += 1
            if camera not in self._held_back:
                self._held_back.add(camera)
                departure = self.camera_left(camera)  # the next segment starts on a keyframe
                self._on_held_back(camera, departure)
            return
        self._held_back.discard(camera)
        track = self._tracks.get(camera)
        if track is None:
            track = self._tracks[camera] = TrackRecorder(
                recording_id=self.recording_id,
                camera=camera,
                prefix=self._prefix_for(camera),
                writer=SpoolWriter(
                    TrackSpool(self._spool_dir / camera), name=f"{self.recording_id}/{camera}"
                ),
                submit=self._uploader.submit,
                target_segment_s=self._target_segment_s,
                fragment_s=self._fragment_s,
                numbered_until=self._numbered_until.get(camera, (0, 0)),
                live=self._live,
            )
        if track.write(frame):
            self._request_keyframe(camera)
        if track.disk_behind:
            await track.room()

    def numbered(self) -> dict[str, tuple[int, int]]:
        """Per camera, the highest (epoch, sequence) used so far: what another node must not
        reuse if it takes the recording over (court/leases.py reserves beyond it)."""
        numbers = dict(self._numbered_until)
        numbers.update((camera, track.numbered) for camera, track in self._tracks.items())
        return numbers

    def camera_left(self, camera: str) -> Departure:
        """Close the camera's segment. Footage ended here when the camera was recorded since
        it last left, so a gap that opens now is a new one, not the last one going on
        (which the footage between them closes once it is stored)."""
        track = self._tracks.get(camera)
        if track is None:
            return Departure(self._numbered_until.get(camera, (0, 0))[0])
        return Departure(track.numbered[0], track.source_ended())

    async def stop(self) -> None:
        """Finish every open segment and wait for every camera's disk; the caller then drains
        the uploader (every file is handed to it by then)."""
        await asyncio.gather(*(track.close() for track in self._tracks.values()))
        self._live.stopped()

    def spool_writes_behind(self) -> int:
        """Spool writes queued for the disk, every camera: what a slow disk leaves waiting."""
        return sum(track.writes_behind for track in self._tracks.values())
