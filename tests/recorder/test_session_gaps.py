"""When a camera leaves, or the spool fills, the recording session says whether footage ended
there: then the gap that opens is a new one, even while the last is still open in the index
(court/archiving.py); with nothing recorded since the camera's last gap, that gap goes on.
Real frames of a clip, a real spool and uploader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recorder.session import Departure, RecordingSession
from recorder.uploader import Uploader
from storage.archive import ObjectRecord
from storage.keys import TrackPrefix
from storage.local import LocalObjectStore
from streaming.frames import EncodedFrame
from tests.support.clips import make_clip
from tests.support.encoded import read_clip

FPS = 30


@dataclass
class Spool:
    """Whether the spool takes frames, and what the session said when it stopped taking them."""

    accepting: bool = True
    held_back: list[tuple[str, Departure]] = field(default_factory=list)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    path = tmp_path_factory.mktemp("clips") / "gop.ts"
    make_clip(path, seconds=4, width=320, height=180, fps=FPS, gop=30)
    return read_clip(path)


@pytest.fixture
async def recording(tmp_path: Path) -> AsyncIterator[tuple[RecordingSession, Spool]]:
    async def index(record: ObjectRecord) -> None:
        pass

    uploader = Uploader(LocalObjectStore(tmp_path / "store"), on_stored=index)
    spool = Spool()
    session = RecordingSession(
        recording_id="rec",
        spool_dir=tmp_path / "spool",
        uploader=uploader,
        prefix_for=lambda camera: TrackPrefix("court", "room", "rec", camera, datetime.now(UTC)),
        request_keyframe=lambda camera: None,
        target_segment_s=2.0,
        fragment_s=0.4,
        accepting=lambda: spool.accepting,
        on_held_back=lambda camera, departure: spool.held_back.append((camera, departure)),
    )
    yield session, spool
    await session.stop()
    await uploader.close()


async def test_footage_ends_only_where_the_camera_was_recorded_since_its_last_gap(
    recording: tuple[RecordingSession, Spool], frames: list[EncodedFrame]
) -> None:
    session, spool = recording
    second = len(frames) // 4

    async def record(part: list[EncodedFrame]) -> None:
        for frame in part:
            await session.write("bench", frame)

    def footage_end(part: list[EncodedFrame]) -> datetime:
        """Where the footage of `part` ends: its last picture's time, plus one frame."""
        last = max(frame.wallclock for frame in part if frame.kind == "video")
        return datetime.fromtimestamp(last + 1 / FPS, UTC)

    def left(epoch: int, part: list[EncodedFrame]) -> None:
        departure = session.camera_left("bench")
        assert departure.footage_ended and departure.last_epoch == epoch
        assert departure.recorded_until is not None
        assert abs(departure.recorded_until - footage_end(part)) < timedelta(milliseconds=1)

    assert session.camera_left("bench") == Departure(0)  # never recorded at all
    await record(frames[:second])
    left(1, frames[:second])  # its footage ends here
    assert session.camera_left("bench") == Departure(1)  # the same absence goes on
    pictureless = [f for f in frames[:second] if f.kind == "video" and not f.keyframe][:10]
    await record(pictureless)  # back, but gone again before its first keyframe
    assert session.camera_left("bench") == Departure(1)  # nothing was recorded
    await record(frames[second : 2 * second])  # back, from its next keyframe: epoch 2
    spool.accepting = False
    await record(frames[2 * second : 3 * second])
    ((camera, held_back),) = spool.held_back  # told once, as the footage ended
    assert (camera, held_back.footage_ended, held_back.last_epoch) == ("bench", True, 2)
    assert held_back.recorded_until == footage_end(frames[second : 2 * second])
    assert session.camera_left("bench") == Departure(2)  # it left, nothing recorded
    spool.accepting = True
    await record(frames[3 * second :])
    left(3, frames[3 * second :])
