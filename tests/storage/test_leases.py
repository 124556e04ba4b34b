"""Courtroom leases on the index (SQLite, and PostgreSQL with COURTCAST_TEST_DATABASE): one
holder at a time, fence numbers that move on every takeover, writes refused once fenced."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import leases, nodes
from storage.archive import SegmentRecord
from storage.catalog import add_segment
from storage.cluster_models import LeaseGrant
from storage.db import Database
from storage.leases import (
    LEASE_TTL_S,
    Fence,
    Fenced,
    acquire,
    check_fence,
    current_lease,
    held_leases,
    orphaned_recordings,
    previous_lease,
    release,
    shown_by_holders,
)
from storage.models import Case, Court, Courtroom, Hearing, Recording, Segment

SHORT = 0.3  # seconds: a lease that expires within the test
AFTER_SHORT = 0.45


async def renew(db: Database, node_id: str, *args: Any, **kwargs: Any) -> set[str]:
    """`storage.leases.renew` in a transaction of its own (a node's round runs it with its
    heartbeat: `keep_alive`)."""
    async with db.session() as session, session.begin():
        return await leases.renew(session, node_id, *args, **kwargs)


async def grants(db: Database, courtroom_id: str) -> list[tuple[str, int]]:
    async with db.session() as session:
        rows = await session.execute(
            select(LeaseGrant.node_id, LeaseGrant.fence)
            .where(LeaseGrant.courtroom_id == courtroom_id)
            .order_by(LeaseGrant.fence)
        )
        return [(node, fence) for node, fence in rows]


async def test_a_held_courtroom_is_refused_to_another_node(db: Database) -> None:
    first = await acquire(db, "room", "a")
    assert first is not None and (first.node_id, first.fence) == ("a", 1)
    assert await acquire(db, "room", "b") is None
    again = await acquire(db, "room", "a")
    assert again is not None and again.fence == 1 and again.expires_at >= first.expires_at
    assert await current_lease(db, "room") == again
    assert await grants(db, "room") == [("a", 1)]


async def test_an_expired_lease_goes_to_the_next_node_under_the_next_fence(db: Database) -> None:
    assert await acquire(db, "room", "a", ttl_s=SHORT) is not None
    await asyncio.sleep(AFTER_SHORT)
    assert await current_lease(db, "room") is None
    taken = await acquire(db, "room", "b")
    assert taken is not None and (taken.node_id, taken.fence) == ("b", 2)
    assert await grants(db, "room") == [("a", 1), ("b", 2)]
    # a restarted process takes its own expired lease as a new holder too
    assert await acquire(db, "other", "b", ttl_s=SHORT) is not None
    await asyncio.sleep(AFTER_SHORT)
    retaken = await acquire(db, "other", "b")
    assert retaken is not None and retaken.fence == 2


async def test_renew_keeps_only_leases_held_unexpired_under_their_fence(db: Database) -> None:
    held = await acquire(db, "room", "a", ttl_s=SHORT)
    assert held is not None
    assert await renew(db, "a", {"room": held.fence}, {}, ttl_s=SHORT) == {"room"}
    assert await renew(db, "b", {"room": held.fence}, {}) == set()  # not b's
    await asyncio.sleep(AFTER_SHORT)
    assert await renew(db, "a", {"room": held.fence}, {}) == set()  # expired
    retaken = await acquire(db, "room", "a")
    assert retaken is not None and retaken.fence == held.fence + 1
    assert await renew(db, "a", {"room": held.fence}, {}) == set()  # a stale fence
    assert await renew(db, "a", {"room": retaken.fence, "gone": 7}, {}) == {"room"}


async def test_a_round_beats_renews_and_lists_the_live_nodes_together(db: Database) -> None:
    await nodes.announce(db, "a", "http://a")
    await nodes.announce(db, "b", "http://b")
    await nodes.set_draining(db, "b")
    held = await acquire(db, "room", "a", ttl_s=SHORT)
    assert held is not None
    await asyncio.sleep(AFTER_SHORT)  # a's lease has lapsed; both nodes are live (NODE_TTL_S)
    a = await leases.keep_alive(db, "a", 3, {"room": held.fence}, {}, shown=None)
    assert (a.draining, a.held) == (False, set())  # expired: a round does not bring it back
    assert [(n.id, n.cameras) for n in a.live] == [("a", 3), ("b", 0)]
    retaken = await acquire(db, "room", "a", ttl_s=1.0)  # a second for the round to reach it
    assert retaken is not None
    a = await leases.keep_alive(db, "a", 4, {"room": retaken.fence}, {"room": {"r": {"c": [1, 2]}}})
    assert a.held == {"room"}
    lease = await current_lease(db, "room")
    assert lease is not None and lease.reserved == {"r": {"c": [1, 2]}}
    # extended by LEASE_TTL_S from the round, not by the second it was taken for
    assert lease.expires_at - retaken.expires_at >= timedelta(seconds=LEASE_TTL_S - 1.0)
    b = await leases.keep_alive(db, "b", 1, {}, {})
    assert b.draining and [n.id for n in b.live] == ["a", "b"]
    await nodes.depart(db, "b")
    departed = await leases.keep_alive(db, "b", 1, {}, {})  # its heartbeat finds no row
    assert not departed.draining and [n.id for n in departed.live] == ["a"]


async def test_a_released_courtroom_can_be_taken_at_once(db: Database) -> None:
    held = await acquire(db, "room", "a")
    assert held is not None
    await release(db, "room", "b", held.fence)  # not b's to release
    assert await acquire(db, "room", "b") is None
    assert not held.handed_over
    await release(db, "room", "a", held.fence, reserved={"rec": {"bench": [2, 70]}})
    released = await previous_lease(db, "room")
    assert released is not None and released.handed_over  # the next holder's gap: handover
    taken = await acquire(db, "room", "b")
    assert taken is not None and (taken.node_id, taken.fence) == ("b", 2)
    assert taken.reserved == {"rec": {"bench": [2, 70]}}
    assert not taken.handed_over


async def test_two_nodes_racing_for_a_free_courtroom_one_gets_it(
    db: Database, tmp_path: Path
) -> None:
    other = Database(db.url)
    try:
        for round_ in range(5):
            room = f"room{round_}"
            won = await asyncio.gather(acquire(db, room, "a"), acquire(other, room, "b"))
            holders = [lease for lease in won if lease is not None]
            assert len(holders) == 1 and holders[0].fence == 1
            assert await grants(db, room) == [(holders[0].node_id, 1)]
    finally:
        await other.close()


async def test_the_reservation_survives_the_holder(db: Database) -> None:
    held = await acquire(db, "room", "a", ttl_s=SHORT)
    assert held is not None and held.reserved == {}
    reserved = {"rec": {"bench": [9, 128], "witness": [9, 64]}}
    assert await renew(db, "a", {"room": 1}, {"room": reserved}, ttl_s=SHORT) == {"room"}
    await asyncio.sleep(AFTER_SHORT)
    last = await previous_lease(db, "room")
    assert last is not None and (last.node_id, last.fence, last.reserved) == ("a", 1, reserved)
    taken = await acquire(db, "room", "b")
    assert taken is not None and taken.reserved == reserved
    mine = {"rec": {"bench": [10, 200]}}
    assert await renew(db, "b", {"room": 2}, {"room": mine}) == {"room"}
    assert (await previous_lease(db, "room")) == await current_lease(db, "room")
    assert await previous_lease(db, "never") is None


async def shown(db: Database, *rooms: str) -> dict[str, object]:
    async with db.session() as session:
        return await shown_by_holders(session, set(rooms))


async def test_what_a_holder_shows_is_read_while_it_holds_and_never_by_its_successor(
    db: Database,
) -> None:
    bench = {"cameras": ["bench"], "program": None}
    held = await acquire(db, "room", "a", ttl_s=SHORT)
    assert held is not None and await acquire(db, "other", "a") is not None
    assert await shown(db, "room", "other") == {}  # nothing said yet
    assert await renew(db, "a", {"room": 1}, {}, ttl_s=SHORT, shown={"room": bench}) == {"room"}
    assert await shown(db, "room", "other", "never") == {"room": bench}
    assert await shown(db, "other") == {}  # asked only for the rooms named
    assert await acquire(db, "room", "a", ttl_s=SHORT) is not None  # extended: still said
    assert await shown(db, "room") == {"room": bench}
    await asyncio.sleep(AFTER_SHORT)
    assert await shown(db, "room") == {}  # lapsed: its cameras may be gone with it
    taken = await acquire(db, "room", "b")
    assert taken is not None and taken.fence == 2
    assert await shown(db, "room") == {}  # the new holder says its own, not a's
    dark = {"cameras": [], "program": {"on_air": None, "slate": "recess"}}
    assert await renew(db, "b", {"room": 2}, {}, shown={"room": dark}) == {"room"}
    assert await renew(db, "a", {"room": 1}, {}, shown={"room": bench}) == set()  # fenced
    assert await shown(db, "room") == {"room": dark}


async def test_held_leases_lists_the_unexpired(db: Database) -> None:
    assert await acquire(db, "room1", "a") is not None
    assert await acquire(db, "room2", "b", ttl_s=SHORT) is not None
    await asyncio.sleep(AFTER_SHORT)
    assert [(lease.courtroom_id, lease.node_id) for lease in await held_leases(db)] == [
        ("room1", "a")
    ]


async def recording_in(db: Database, courtroom_name: str, status: str = "recording") -> Recording:
    async with db.session() as session, session.begin():
        court = Court(name="衡阳")
        session.add(court)
        await session.flush()
        room = Courtroom(court_id=court.id, name=courtroom_name, kind="courtroom")
        case = Case(court_id=court.id, number=f"(2026)湘04民初{courtroom_name}号", title="t")
        session.add_all([room, case])
        await session.flush()
        hearing = Hearing(
            case_id=case.id,
            courtroom_id=room.id,
            title="t",
            scheduled_start=datetime(2026, 12, 2, tzinfo=UTC),
            visibility="public",
        )
        session.add(hearing)
        await session.flush()
        recording = Recording(
            hearing_id=hearing.id, courtroom_id=room.id, court_id=court.id, status=status
        )
        session.add(recording)
    return recording


async def test_orphaned_recordings_are_those_no_node_holds_and_a_round_finds_them(
    db: Database,
) -> None:
    held = await recording_in(db, "1")
    orphan = await recording_in(db, "2")
    await recording_in(db, "3", status="stopped")
    lapsed = await recording_in(db, "4")
    assert await acquire(db, held.courtroom_id, "a") is not None
    assert await acquire(db, lapsed.courtroom_id, "a", ttl_s=SHORT) is not None
    await asyncio.sleep(AFTER_SHORT)
    expected = sorted([(orphan.id, orphan.courtroom_id), (lapsed.id, lapsed.courtroom_id)])
    assert sorted(await orphaned_recordings(db)) == expected
    # a node's round each second finds them too, in its own transaction
    round_ = await leases.keep_alive(db, "b", 0, {}, {})
    assert sorted(round_.orphans) == expected


def segment(recording_id: str, sequence: int) -> SegmentRecord:
    return SegmentRecord(
        recording_id=recording_id,
        camera="bench",
        epoch=1,
        sequence=sequence,
        key=f"rec/bench/seg-{sequence:08d}.m4s",
        extension="m4s",
        started_at=datetime(2026, 12, 2, 9, tzinfo=UTC),
        duration_s=2.0,
        size=10,
        sha256=hashlib.sha256(b"x").hexdigest(),
        frames=50,
        discontinuity=False,
    )


async def test_a_fenced_writer_indexes_nothing(db: Database) -> None:
    recording = await recording_in(db, "1")
    room = recording.courtroom_id
    held = await acquire(db, room, "a", ttl_s=SHORT)
    assert held is not None
    fence_a = Fence(courtroom_id=room, node_id="a", number=held.fence)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording.id, 1), fence_a)
    await asyncio.sleep(AFTER_SHORT)
    taken = await acquire(db, room, "b")
    assert taken is not None
    async with db.session() as session, session.begin():
        with pytest.raises(Fenced, match="node a no longer holds"):
            await check_fence(session, fence_a)
    with pytest.raises(Fenced):
        async with db.session() as session, session.begin():
            await add_segment(session, segment(recording.id, 2), fence_a)
    fence_b = Fence(courtroom_id=room, node_id="b", number=taken.fence)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording.id, 3), fence_b)
        await add_segment(session, segment(recording.id, 4))  # spool recovery: no fence
    async with db.session() as session:
        rows = await session.execute(
            select(Segment.sequence, Segment.node_id, Segment.fence).order_by(Segment.sequence)
        )
        assert [tuple(row) for row in rows] == [(1, "a", 1), (3, "b", 2), (4, None, None)]
        assert await session.scalar(select(func.count()).select_from(Segment)) == 3
