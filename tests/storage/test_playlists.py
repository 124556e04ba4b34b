"""What an archive playlist reads of a track, and the names its entries link to."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from court.playback import playlist_items
from storage.archive import InitRecord, SegmentRecord
from storage.catalog import add_init_segment, add_segment, track_prefix
from storage.db import Database
from storage.keys import parse_object_key
from storage.playlists import ListedSegment, listed_inits, listed_segments
from tests.storage.test_leases import recording_in

START = datetime(2026, 12, 2, 9, tzinfo=UTC)


async def test_a_camera_lists_its_segments_in_sequence_order_with_each_epochs_init(
    db: Database,
) -> None:
    recording = await recording_in(db, "7", status="stopped")
    bench = track_prefix(recording, "bench")
    digest = hashlib.sha256(b"x").hexdigest()

    def init(camera: str, epoch: int) -> InitRecord:
        key = track_prefix(recording, camera).init_key(epoch)
        return InitRecord(recording.id, camera, epoch, key, 10, digest, "avc1", 640, 360)

    def segment(camera: str, epoch: int, sequence: int, extension: str = "m4s") -> SegmentRecord:
        key = track_prefix(recording, camera).segment_key(sequence, extension)
        started = START + timedelta(seconds=2 * sequence)
        return SegmentRecord(
            recording.id, camera, epoch, sequence, key, extension, started, 2.0, 10, digest,
            60, discontinuity=sequence == 3,
        )  # fmt: skip

    async with db.session() as session, session.begin():
        for record in (init("bench", 2), init("bench", 1), init("witness", 1)):
            await add_init_segment(session, record)
        for sequence, epoch in ((3, 2), (1, 1), (2, 1)):  # indexed out of order
            await add_segment(session, segment("bench", epoch, sequence))
        await add_segment(session, segment("bench", 2, 4, "webm"))
        await add_segment(session, segment("witness", 1, 1))
    async with db.session() as session:
        inits = await listed_inits(session, recording_id=recording.id, camera="bench")
        listed = await listed_segments(session, recording_id=recording.id, camera="bench")
        absent = await listed_segments(session, recording_id=recording.id, camera="dock")
    assert [i.object_key for i in inits] == [bench.init_key(1), bench.init_key(2)]
    assert listed == [
        ListedSegment(1, 1, "m4s", 2.0, START + timedelta(seconds=2), False),
        ListedSegment(2, 1, "m4s", 2.0, START + timedelta(seconds=4), False),
        ListedSegment(3, 2, "m4s", 2.0, START + timedelta(seconds=6), True),
        ListedSegment(4, 2, "webm", 2.0, START + timedelta(seconds=8), False),
    ]
    assert absent == []

    # each entry links to the last part of its object's key, which the segment route finds
    items = playlist_items(inits, listed, lambda name: name)
    names = [str(parse_object_key(bench.segment_key(n)).name) for n in (1, 2, 3)]
    assert [item.uri for item in items] == [*names, "seg-00000004.webm"]
    assert [item.init_uri for item in items] == ["init-0001.mp4"] * 2 + ["init-0002.mp4"] * 2
