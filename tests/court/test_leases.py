"""Which node takes a courtroom, which is redirected, and who goes on with a recording whose
node was lost (court/leases.py), on a real index with the custody calls written down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from court.leases import CourtroomLeases, NodeIdentity, NodeRefused
from storage import leases, nodes
from storage.db import Database
from storage.leases import LEASE_TTL_S, Lease
from tests.storage.test_leases import recording_in


@dataclass
class Custody:
    """Writes down what the keeper asked of the node (no media in these tests)."""

    gained_log: list[tuple[str, str, Lease | None]] = field(default_factory=list)
    lost_log: list[tuple[str, str]] = field(default_factory=list)
    reserved: dict[str, dict[str, dict[str, list[int]]]] = field(default_factory=dict)
    showing: dict[str, dict[str, Any]] = field(default_factory=dict)  # what rooms show live

    async def gained(self, courtroom_id: str, reason: str, previous: Lease | None) -> None:
        self.gained_log.append((courtroom_id, reason, previous))

    async def lost(self, courtroom_id: str, reason: str) -> None:
        self.lost_log.append((courtroom_id, reason))

    async def hand_over(self, courtroom_id: str) -> dict[str, dict[str, list[int]]]:
        return self.reserved.get(courtroom_id, {})

    def reservations(self) -> dict[str, dict[str, dict[str, list[int]]]]:
        return self.reserved

    def cameras(self) -> int:
        return 0

    def shown(self, courtroom_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {room: self.showing[room] for room in courtroom_ids if room in self.showing}


async def node(db: Database, name: str, exclusive: str | None = None) -> CourtroomLeases:
    keeper = CourtroomLeases(db, NodeIdentity(name, f"http://{name}.test", exclusive))
    await keeper.join(Custody())
    return keeper


def custody_of(keeper: CourtroomLeases) -> Custody:
    custody = keeper._custody  # the double each node joined with
    assert isinstance(custody, Custody)
    return custody


async def test_a_free_courtroom_is_taken_by_the_node_asked_and_others_are_redirected(
    db: Database,
) -> None:
    a, b = await node(db, "a"), await node(db, "b")
    assert await a.claim("room-1") is None
    assert a.holds("room-1") and a.fence("room-1") is not None
    assert await b.claim("room-1") == "http://a.test"
    assert await b.holder_url("room-1") == "http://a.test"
    assert await a.holder_url("room-1") is None


async def test_a_free_courtroom_goes_to_the_least_loaded_node(db: Database) -> None:
    a, b = await node(db, "a"), await node(db, "b")
    assert await a.claim("room-1") is None
    assert await a.claim("room-2") == "http://b.test"  # b holds nothing, a one courtroom
    assert await b.claim("room-2") is None
    assert await a.claim("room-3") is None  # one each: the node asked keeps it


async def test_a_running_recording_of_a_lost_node_goes_on_elsewhere_past_its_reservation(
    db: Database,
) -> None:
    recording = await recording_in(db, "法庭1")
    a = await node(db, "a")
    await a.take_orphans()
    assert [(room, why) for room, why, _ in custody_of(a).gained_log] == [
        (recording.courtroom_id, "crash")  # no lease before: this node's own earlier process
    ]
    custody_of(a).reserved = {recording.courtroom_id: {recording.id: {"bench": [9, 70]}}}
    fence = a.fence(recording.courtroom_id)
    assert fence is not None
    await leases.keep_alive(
        db, "a", 0, {recording.courtroom_id: fence.number}, custody_of(a).reserved
    )
    await nodes.depart(db, "a")  # a dies: no more renewals, no heartbeat
    b = await node(db, "b")
    await b.take_orphans()
    assert custody_of(b).gained_log == []  # a's lease has not lapsed yet
    await asyncio.sleep(LEASE_TTL_S + 0.2)
    await leases.keep_alive(db, "b", 0, {}, {})  # b is alive (its renewal loop is not running)
    await b.take_orphans()
    [(room, why, previous)] = custody_of(b).gained_log
    assert (room, why) == (recording.courtroom_id, "node_lost")
    assert previous is not None and previous.reserved == {recording.id: {"bench": [9, 70]}}
    taken = b.fence(recording.courtroom_id)
    assert taken is not None and taken.number == fence.number + 1


async def test_a_drained_node_hands_its_courtrooms_over(db: Database) -> None:
    recording = await recording_in(db, "法庭2")
    a, b = await node(db, "a"), await node(db, "b")
    assert await a.claim(recording.courtroom_id) is None
    await a.drain()
    assert custody_of(a).lost_log == [(recording.courtroom_id, "handover")]
    assert await a.claim(recording.courtroom_id) == "http://b.test"  # a takes nothing now
    await b.take_orphans()
    assert [(room, why) for room, why, _ in custody_of(b).gained_log] == [
        (recording.courtroom_id, "handover")
    ]


async def test_single_node_setups_fence_nothing_and_refuse_a_second_node(db: Database) -> None:
    a = await node(db, "a", exclusive="its index is an SQLite file")
    a.start()  # a beats while b waits to see whether it is gone
    try:
        assert await a.claim("room-1") is None
        assert a.fence("room-1") is None  # nobody else can write: no fence to carry
        with pytest.raises(NodeRefused, match=r"node 'a'.*SQLite"):
            await node(db, "b", exclusive="its index is an SQLite file")
    finally:
        await a.close()
