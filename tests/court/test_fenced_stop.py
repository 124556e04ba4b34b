"""A stop reaching a node that has lost the courtroom since it recorded there: it stores what
it received but neither ends nor seals the recording, which the node holding the courtroom
records on; while it holds the courtroom, the stop ends and seals as ever."""

from __future__ import annotations

from pathlib import Path

import pytest

from court.errors import Unavailable
from recorder.session import Departure
from storage.db import Database
from storage.models import Recording
from tests.court.test_archive_index import gaps_of, node_b_takes_over, recorded_by_node_a
from tests.court.test_stored_playlists import recordings_service


async def row(db: Database, recording: Recording) -> Recording:
    async with db.session() as session:
        found = await session.get(Recording, recording.id)
    assert found is not None
    return found


async def test_the_node_holding_the_courtroom_ends_and_seals_the_recording(
    db: Database, tmp_path: Path
) -> None:
    recording, archive = await recorded_by_node_a(db, "5")
    await archive.open_gap(recording.id, "witness", "publisher_left", Departure(1))

    await recordings_service(db, tmp_path, archive).stop_recording(recording.id)

    stopped = await row(db, recording)
    assert stopped.status == "stopped" and stopped.manifest_key
    assert all(ended is not None for _, ended in await gaps_of(db, recording))


async def test_a_node_that_lost_the_courtroom_neither_ends_nor_seals_the_recording(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recording, archive = await recorded_by_node_a(db, "5b")
    await archive.open_gap(recording.id, "witness", "publisher_left", Departure(1))

    await node_b_takes_over(db, recording)
    with pytest.raises(Unavailable, match="another node records this courtroom"):
        await recordings_service(db, tmp_path, archive).stop_recording(recording.id)

    going = await row(db, recording)
    assert going.status == "recording" and going.stopped_at is None
    assert going.manifest_key is None
    assert [ended for _, ended in await gaps_of(db, recording)] == [None]  # node b's to end
    assert f"recording {recording.id} not ended here" in caplog.text
