"""A clip reads the store versions the index recorded for its own objects, and only those."""

from __future__ import annotations

from dataclasses import replace

from storage.catalog import add_init_segment, add_segment, indexed_versions, track_prefix
from storage.db import Database
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import init, segment


async def test_the_versions_of_a_clips_objects_are_read_by_their_numbers(db: Database) -> None:
    recording = await recording_in(db, "12", status="stopped")
    async with db.session() as session, session.begin():
        for camera in ("bench", "witness"):
            for epoch in (1, 2):
                await add_init_segment(
                    session,
                    replace(init(recording, camera, epoch), version_id=f"{camera}-i{epoch}"),
                )
            for sequence in range(1, 11):
                record = segment(recording, camera, 1 if sequence <= 5 else 2, sequence)
                await add_segment(session, replace(record, version_id=f"{camera}-s{sequence}"))
    bench = track_prefix(recording, "bench")
    clip = [
        {"type": "init", "key": bench.init_key(2), "epoch": 2},
        *({"type": "segment", "key": bench.segment_key(n), "sequence": n} for n in (7, 8)),
    ]
    async with db.session() as session:
        versions = await indexed_versions(
            session, recording_id=recording.id, camera="bench", objects=clip
        )

    assert versions == {
        bench.init_key(2): "bench-i2",
        bench.segment_key(7): "bench-s7",
        bench.segment_key(8): "bench-s8",
    }
