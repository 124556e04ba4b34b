"""What a manifest lists of a recording: every object of every camera, in playing order, read
a few hundred rows at a time without losing or repeating one at the seams."""

from __future__ import annotations

from sqlalchemy import select

from storage.catalog import add_init_segment
from storage.db import Database
from storage.manifest_contents import recording_contents
from storage.models import Segment, Track
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import init, segment


async def test_a_long_track_is_listed_whole_in_order_across_reads(db: Database) -> None:
    recording = await recording_in(db, "11", status="stopped")
    epochs = {sequence: 1 if sequence <= 700 else 2 for sequence in range(1, 1204)}
    async with db.session() as session, session.begin():
        for epoch in (1, 2, 3):  # the third epoch's camera was cut off before a segment
            await add_init_segment(session, init(recording, "bench", epoch))
        track_id = await session.scalar(
            select(Track.id).where(Track.recording_id == recording.id, Track.camera == "bench")
        )
        for sequence in sorted(epochs, reverse=True):  # indexed in any order
            record = segment(recording, "bench", epochs[sequence], sequence)
            session.add(
                Segment(
                    track_id=track_id, epoch=record.epoch, sequence=sequence,
                    object_key=record.key, extension="m4s", started_at=record.started_at,
                    duration_s=2.0, size=10, sha256=record.sha256, frames=60,
                    discontinuity=record.discontinuity,
                )
            )  # fmt: skip
    async with db.session() as session:
        contents = await recording_contents(session, recording_id=recording.id)

    listed = [(o["type"], o.get("sequence", o["epoch"])) for o in contents["bench"]]
    assert listed == [
        ("init", 1),
        *(("segment", n) for n in range(1, 701)),
        ("init", 2),
        *(("segment", n) for n in range(701, 1204)),
        ("init", 3),
    ]
    assert (
        contents["bench"][1]["started_at"]
        == segment(recording, "bench", 1, 1).started_at.isoformat()
    )
