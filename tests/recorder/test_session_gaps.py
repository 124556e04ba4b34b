"""When a camera leaves, or the spool fills, the recording session says whether footage ended
there: then the gap that opens is a new one, even while the last is still open in the index
(court/archiving.py); with nothing recorded since the camera's last gap, that gap goes on.
Real frames of a clip, a real spool and uploader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


@dataclass
class Spool:
    """Whether the spool takes frames, and what the session said when it stopped taking them."""

    accepting: bool = True
    held_back: list[tuple[str, Departure]] = field(default_factory=list)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    path = tmp_path_factory.mktemp("clips") / "gop.ts"
    make_clip(path, seconds=4, width=320, height=180, fps=30, gop=30)
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

    assert session.camera_left("bench") == Departure(False, 0)  # never recorded at all
    await record(frames[:second])
    assert session.camera_left("bench") == Departure(True, 1)  # its footage ends here
    assert session.camera_left("bench") == Departure(False, 1)  # the same absence goes on
    await record(frames[second : 2 * second])  # back, from its next keyframe: epoch 2
    spool.accepting = False
    await record(frames[2 * second : 3 * second])
    assert spool.held_back == [("bench", Departure(True, 2))]  # told once, as footage ended
    assert session.camera_left("bench") == Departure(False, 2)  # it left, nothing recorded
    spool.accepting = True
    await record(frames[3 * second :])
    assert session.camera_left("bench") == Departure(True, 3)
