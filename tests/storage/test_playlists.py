"""What an archive playlist reads of a track, the names its entries link to, and what its
signed links open."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from court.live.signed_urls import UrlSigner
from court.playback import archive_playlist, segments_path
from court.playback_cache import PlaylistCache
from court.playlist_entries import playlist_items
from court.principals import Principal
from storage.archive import InitRecord, SegmentRecord
from storage.catalog import add_init_segment, add_segment, track_prefix
from storage.db import Database
from storage.keys import parse_object_key
from storage.models import Recording
from storage.playlists import ListedSegment, TrackTail, listed_inits, listed_segments, track_tail
from tests.storage.test_leases import recording_in

START = datetime(2026, 12, 2, 9, tzinfo=UTC)
DIGEST = hashlib.sha256(b"x").hexdigest()


def init(recording: Recording, camera: str, epoch: int) -> InitRecord:
    key = track_prefix(recording, camera).init_key(epoch)
    return InitRecord(recording.id, camera, epoch, key, 10, DIGEST, "avc1", 640, 360)


def segment(
    recording: Recording, camera: str, epoch: int, sequence: int, extension: str = "m4s"
) -> SegmentRecord:
    key = track_prefix(recording, camera).segment_key(sequence, extension)
    started = START + timedelta(seconds=2 * sequence)
    return SegmentRecord(
        recording.id, camera, epoch, sequence, key, extension, started, 2.0, 10, DIGEST, 60,
        discontinuity=sequence == 3,
    )  # fmt: skip


async def test_a_camera_lists_its_segments_in_sequence_order_with_each_epochs_init(
    db: Database,
) -> None:
    recording = await recording_in(db, "7", status="stopped")
    bench = track_prefix(recording, "bench")
    async with db.session() as session, session.begin():
        for camera, epoch in (("bench", 2), ("bench", 1), ("witness", 1)):
            await add_init_segment(session, init(recording, camera, epoch))
        for sequence, epoch in ((3, 2), (1, 1), (2, 1)):  # indexed out of order
            await add_segment(session, segment(recording, "bench", epoch, sequence))
        await add_segment(session, segment(recording, "bench", 2, 4, "webm"))
        await add_segment(session, segment(recording, "witness", 1, 1))
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


async def test_a_playlists_links_open_its_own_tracks_objects_only(db: Database) -> None:
    recording = await recording_in(db, "8", status="stopped")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
    signer = UrlSigner(b"s" * 32)
    judge = Principal(name="法官", role="judge", token_id="tok1")
    async with db.session() as session:
        text = await archive_playlist(
            session, judge, signer, PlaylistCache(), recording_id=recording.id, camera="bench"
        )
    links = [line for line in text.splitlines() if line.startswith("segments/")]
    assert [urlsplit(link).path for link in links] == ["segments/seg-00000001.m4s"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(links[0]).query).items()}
    exp, sub, sig = query["exp"], query["sub"], query["sig"]

    assert signer.subject(segments_path(recording.id, "bench"), exp, sub, sig) == "tok1"
    assert signer.subject(segments_path(recording.id, "witness"), exp, sub, sig) is None
    assert signer.subject(segments_path("another", "bench"), exp, sub, sig) is None
    assert signer.subject(segments_path(recording.id, "bench"), exp, "tok2", sig) is None


async def test_a_live_tail_reads_the_last_segments_ended_by_the_edge_and_counts_what_slid_out(
    db: Database,
) -> None:
    recording = await recording_in(db, "9", status="recording")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_init_segment(session, init(recording, "bench", 2))
        for sequence in range(1, 21):  # segment n runs from START + 2n s for 2 s; 3 starts epoch 2
            await add_segment(
                session, segment(recording, "bench", 1 if sequence < 3 else 2, sequence)
            )
    async with db.session() as session:

        async def tail(ended_after_s: float | None, camera: str = "bench") -> TrackTail:
            edge = None if ended_after_s is None else START + timedelta(seconds=ended_after_s)
            return await track_tail(
                session, recording_id=recording.id, camera=camera, count=6, ended_by=edge
            )

        live_edge = await tail(None)
        delayed = await tail(25)  # an edge inside segment 12: 11 is the last one ended by then
        early = await tail(7)
        none_yet = await tail(0)
        absent = await tail(None, camera="dock")
        inits = await listed_inits(session, recording_id=recording.id, camera="bench")
    assert [s.sequence for s in live_edge.segments] == [15, 16, 17, 18, 19, 20]
    assert live_edge.discontinuities_before == 1  # segment 3 slid out
    assert [i.epoch for i in inits] == [1, 2]  # what the live window shows beside them
    assert [s.sequence for s in delayed.segments] == [6, 7, 8, 9, 10, 11]
    assert delayed.discontinuities_before == 1
    assert [s.sequence for s in early.segments] == [1, 2]  # 3 ends at 8 s, after the edge
    assert early.discontinuities_before == 0
    assert (none_yet.segments, none_yet.discontinuities_before) == ([], 0)
    assert (absent.segments, absent.discontinuities_before) == ([], 0)
