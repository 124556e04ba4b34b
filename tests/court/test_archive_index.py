"""What the uploader hands the archive once the store confirmed an object: every segment lands
on its own camera's track, once, and only while the node holds the courtroom (SQLite, and
PostgreSQL with COURTCAST_TEST_DATABASE)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import storage.catalog
from court.archiving import Archive, FootageEnd
from court.monitoring.metrics import Timings
from recorder.session import Departure
from storage.archive import SegmentRecord
from storage.db import Database
from storage.gap_models import Gap
from storage.leases import Fence, Fenced, acquire
from storage.models import Recording, Segment, Track
from tests.storage.test_leases import AFTER_SHORT, SHORT, recording_in
from tests.storage.test_playlists import init, segment


def archive_of(db: Database, fences: dict[str, Fence] | None = None) -> Archive:
    """The archive as a node wires it: index writes carry its courtroom's fence, if any."""
    return Archive(db, Timings(CollectorRegistry()), fence_for=(fences or {}).get)


async def indexed(db: Database, recording: Recording, camera: str) -> list[tuple[int, str | None]]:
    """(sequence, version) of the camera's segment rows, in sequence order."""
    async with db.session() as session:
        rows = await session.execute(
            select(Segment.sequence, Segment.version_id)
            .join(Track, Track.id == Segment.track_id)
            .where(Track.recording_id == recording.id, Track.camera == camera)
            .order_by(Segment.sequence)
        )
        return [(sequence, version) for sequence, version in rows]


def counted_track_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cameras whose track the catalog looked up, in order."""
    looked_up: list[str] = []
    track_for: Callable[..., Awaitable[Track]] = storage.catalog.track_for

    async def counting(session: object, *, recording_id: str, camera: str) -> Track:
        looked_up.append(camera)
        return await track_for(session, recording_id=recording_id, camera=camera)

    monkeypatch.setattr(storage.catalog, "track_for", counting)
    return looked_up


async def test_every_segment_lands_on_its_own_cameras_track_looked_up_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await recording_in(db, "1"), await recording_in(db, "2")
    archive = archive_of(db)
    for recording in (first, second):
        archive.follow(recording.id, recording.courtroom_id)
    looked_up = counted_track_lookups(monkeypatch)

    for sequence in (1, 2, 3):  # the uploader interleaves cameras and recordings
        for recording in (first, second):
            for camera in ("bench", "witness"):
                await archive.index(segment(recording, camera, 1, sequence))

    for recording in (first, second):
        for camera in ("bench", "witness"):
            assert [s for s, _ in await indexed(db, recording, camera)] == [1, 2, 3]
    assert sorted(looked_up) == ["bench", "bench", "witness", "witness"]

    async with db.session() as session:  # the first recording stops: its tracks are forgotten
        await archive.close_recording_gaps(session, first.id, datetime.now(UTC))
        await session.commit()
    await archive.index(segment(first, "bench", 1, 4))  # recovered later from the spool
    await archive.index(segment(second, "bench", 1, 4))
    assert looked_up[4:] == ["bench"]
    assert [s for s, _ in await indexed(db, first, "bench")] == [1, 2, 3, 4]


async def test_a_segment_indexed_again_keeps_the_version_the_store_first_confirmed(
    db: Database,
) -> None:
    recording = await recording_in(db, "3")
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    await archive.index(init(recording, "bench", 1))
    stored = segment(recording, "bench", 1, 1)
    await archive.index(replace(stored, version_id="v-first"))
    # an upload retried after a crash between the put and the release of its spool copy
    await archive.index(replace(stored, version_id="v-again"))
    await archive.index(replace(segment(recording, "bench", 1, 2), version_id="v-next"))

    assert await indexed(db, recording, "bench") == [(1, "v-first"), (2, "v-next")]


async def recorded_by_node_a(db: Database, name: str) -> tuple[Recording, Archive]:
    """A recording whose courtroom node "a" holds under a short lease, and a's archive."""
    recording = await recording_in(db, name)
    room = recording.courtroom_id
    held = await acquire(db, room, "a", ttl_s=SHORT)
    assert held is not None
    archive = archive_of(db, {room: Fence(room, "a", held.fence)})
    archive.follow(recording.id, room)
    return recording, archive


async def node_b_takes_over(db: Database, recording: Recording) -> None:
    await asyncio.sleep(AFTER_SHORT)
    assert await acquire(db, recording.courtroom_id, "b") is not None


async def test_a_node_that_lost_the_courtroom_indexes_nothing_more(db: Database) -> None:
    recording, archive = await recorded_by_node_a(db, "4")
    await archive.index(segment(recording, "bench", 1, 1))  # the track is known from here on

    await node_b_takes_over(db, recording)
    with pytest.raises(Fenced, match="node a no longer holds"):
        await archive.index(segment(recording, "bench", 1, 2))

    assert [s for s, _ in await indexed(db, recording, "bench")] == [1]


async def test_a_node_that_lost_the_courtroom_opens_no_gap(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Its camera left after another node took the recording over: that node tells the
    break, so a gap from this one would say footage is missing that the other is recording."""
    recording, archive = await recorded_by_node_a(db, "4b")
    await archive.open_gap(recording.id, "witness", "publisher_left", Departure(1))
    assert len(await gaps_of(db, recording)) == 1  # while it holds the courtroom

    await node_b_takes_over(db, recording)
    await archive.open_gap(recording.id, "bench", "publisher_left", Departure(1))
    assert len(await gaps_of(db, recording)) == 1
    assert "the publisher_left gap of" in caplog.text and "node a no longer holds" in caplog.text


async def gaps_of(db: Database, recording: Recording) -> list[tuple[datetime, datetime | None]]:
    """(start, end) of the recording's gaps, in time order."""
    async with db.session() as session:
        rows = await session.execute(
            select(Gap.started_at, Gap.ended_at)
            .where(Gap.recording_id == recording.id)
            .order_by(Gap.started_at)
        )
        return [(started, ended) for started, ended in rows]


def first_of_epoch(recording: Recording, epoch: int, sequence: int, at: datetime) -> SegmentRecord:
    """The first segment of one of the bench camera's epochs after the first, starting `at`."""
    return replace(segment(recording, "bench", epoch, sequence), started_at=at, discontinuity=True)


async def test_a_gap_closes_where_the_footage_came_back_even_if_that_write_failed_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = await recording_in(db, "9")
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    for sequence in (1, 2):
        await archive.index(segment(recording, "bench", 1, sequence))
    await archive.open_gap(recording.id, "bench", "publisher_left", Departure(1, datetime.now(UTC)))
    (opened,) = await gaps_of(db, recording)
    failures: list[Exception] = []
    commit = AsyncSession.commit

    async def failing_once(session: AsyncSession) -> None:
        if failures:
            raise failures.pop()  # the index went away as the write was committed
        await commit(session)

    monkeypatch.setattr(AsyncSession, "commit", failing_once)
    came_back = first_of_epoch(recording, 2, 3, opened[0] + timedelta(seconds=1))
    failures.append(ConnectionError("the index went away"))
    with pytest.raises(ConnectionError):
        await archive.index(came_back)
    assert await gaps_of(db, recording) == [opened]  # still open, the segment not indexed
    await archive.index(came_back)  # the uploader's retry
    assert await gaps_of(db, recording) == [(opened[0], came_back.started_at)]
    assert [s for s, _ in await indexed(db, recording, "bench")] == [1, 2, 3]


async def test_a_camera_that_drops_again_before_its_return_is_stored_gets_a_second_gap(
    db: Database,
) -> None:
    """It came back and left again within a segment or two: the footage between the drops,
    which closes the first gap, is still on its way to the store when the second opens."""
    recording = await recording_in(db, "10")
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    await archive.index(segment(recording, "bench", 1, 1))
    await archive.open_gap(recording.id, "bench", "publisher_left", Departure(1, datetime.now(UTC)))
    await asyncio.sleep(0.01)  # back, recorded, and gone again
    await archive.open_gap(recording.id, "bench", "publisher_left", Departure(2, datetime.now(UTC)))
    # the spool filled while it was away: the same gap goes on
    await archive.open_gap(recording.id, "bench", "spool_full", Departure(2))
    (first, _), (second, _) = await gaps_of(db, recording)

    between = first_of_epoch(recording, 2, 2, first + (second - first) / 2)
    await archive.index(between)
    assert await gaps_of(db, recording) == [(first, between.started_at), (second, None)]
    back = first_of_epoch(recording, 3, 3, second + timedelta(seconds=1))
    await archive.index(back)
    assert await gaps_of(db, recording) == [(first, between.started_at), (second, back.started_at)]


async def test_a_gap_closes_where_a_camera_whose_clock_runs_behind_came_back(
    db: Database,
) -> None:
    """The server dates the gap by its own clock; the footage that comes back is stamped by
    the camera's, here five seconds behind: it is still the footage after the gap (its
    numbers say so), and the gap ends there with no length, not at the recording's stop."""
    recording = await recording_in(db, "11")
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    await archive.index(segment(recording, "bench", 1, 1))
    await archive.open_gap(recording.id, "bench", "publisher_left", Departure(1, datetime.now(UTC)))
    ((left, _),) = await gaps_of(db, recording)

    late_clock = timedelta(seconds=5)
    await archive.index(replace(segment(recording, "bench", 1, 2), started_at=left - late_clock))
    assert await gaps_of(db, recording) == [(left, None)]  # footage from before it left
    back = first_of_epoch(recording, 2, 3, left - late_clock + timedelta(seconds=2))
    await archive.index(back)
    assert await gaps_of(db, recording) == [(left, left)]
    await archive.index(first_of_epoch(recording, 3, 4, left + timedelta(seconds=9)))
    assert await gaps_of(db, recording) == [(left, left)]  # nothing else was awaited


async def test_a_recording_stopped_before_a_gap_began_by_the_cameras_clock_closes_it(
    db: Database,
) -> None:
    """A node that took the recording over dated the break by the camera's clock, ahead of
    the server's that stops the recording: the gap still ends, where it began."""
    recording = await recording_in(db, "12")
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    stopped = datetime.now(UTC)
    footage_end = stopped + timedelta(seconds=3)
    ended = {"bench": FootageEnd(footage_end, 4)}
    await archive.open_break_gaps(recording.id, ended, "crash", {"bench": (4, 9)})
    await archive.index(first_of_epoch(recording, 4, 9, footage_end))  # spool recovered late
    assert await gaps_of(db, recording) == [(footage_end, None)]
    async with db.session() as session:
        await archive.close_recording_gaps(session, recording.id, stopped)
        await session.commit()
    assert await gaps_of(db, recording) == [(footage_end, footage_end)]


async def gaps_by_reason(
    db: Database, recording: Recording
) -> list[tuple[str, str, datetime, datetime | None]]:
    """(camera, reason, start, end) of the recording's gaps, in time order."""
    async with db.session() as session:
        rows = await session.execute(
            select(Gap.camera, Gap.reason, Gap.started_at, Gap.ended_at)
            .where(Gap.recording_id == recording.id)
            .order_by(Gap.started_at, Gap.camera)
        )
        return [(camera, reason, started, ended) for camera, reason, started, ended in rows]


async def bench_left(db: Database, number: str) -> tuple[Recording, datetime]:
    """A recording whose bench camera was stored one segment and left, its gap opened by a
    process that is then gone (lost, crashed); when it left."""
    recording = await recording_in(db, number)
    gone = archive_of(db)
    gone.follow(recording.id, recording.courtroom_id)
    await gone.index(segment(recording, "bench", 1, 1))
    left = datetime.now(UTC)
    await gone.open_gap(recording.id, "bench", "publisher_left", Departure(1, left))
    return recording, left


def taken_over(db: Database, recording: Recording) -> Archive:
    """The archive of the process that goes on with the recording."""
    archive = archive_of(db)
    archive.follow(recording.id, recording.courtroom_id)
    return archive


async def test_a_node_taking_the_recording_over_closes_the_gaps_the_last_holder_opened(
    db: Database,
) -> None:
    """The bench camera left while the last holder recorded (its gap open), then the holder
    was lost: the new holder's first footage of that camera ends that gap, which is the only
    one the camera gets; the witness camera, recording when the holder was lost, gets its
    `node_lost` gap."""
    recording, left = await bench_left(db, "13")
    witness_end = left + timedelta(seconds=4)
    taking_over = taken_over(db, recording)
    ended = {"bench": FootageEnd(left, 1), "witness": FootageEnd(witness_end, 1)}
    reserved = {"bench": (2, 9), "witness": (2, 9)}  # the lost holder's reservation
    await taking_over.open_break_gaps(recording.id, ended, "node_lost", reserved)
    assert await gaps_by_reason(db, recording) == [
        ("bench", "publisher_left", left, None),
        ("witness", "node_lost", witness_end, None),
    ]
    back = first_of_epoch(recording, 3, 10, left + timedelta(seconds=8))
    await taking_over.index(back)
    assert await gaps_by_reason(db, recording) == [
        ("bench", "publisher_left", left, back.started_at),
        ("witness", "node_lost", witness_end, None),
    ]


async def test_a_gap_from_before_a_crash_closes_at_the_recovered_footage_that_followed_it(
    db: Database,
) -> None:
    """The bench camera left, came back (epoch 2, still in the spool) and the process
    crashed: the recovered footage ends the first gap where it begins; the crash gap opens
    where it ends and closes at the footage recorded after the restart."""
    recording, left = await bench_left(db, "14")
    spooled = first_of_epoch(recording, 2, 2, left + timedelta(seconds=3))
    spool_end = spooled.started_at + timedelta(seconds=spooled.duration_s)
    restarted = taken_over(db, recording)
    ended = {"bench": FootageEnd(spool_end, 2)}
    await restarted.open_break_gaps(recording.id, ended, "crash", {"bench": (2, 2)})
    await restarted.index(spooled)  # the recovered spool is uploaded
    after = first_of_epoch(recording, 3, 3, spool_end + timedelta(seconds=5))
    await restarted.index(after)
    assert await gaps_by_reason(db, recording) == [
        ("bench", "publisher_left", left, spooled.started_at),
        ("bench", "crash", spool_end, after.started_at),
    ]
