"""The nodes table (SQLite, and PostgreSQL with COURTCAST_TEST_DATABASE): live while seen within
the ttl, told to drain through the index, gone at once on a clean exit."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.nodes import announce, depart, heartbeat, live_nodes, set_draining

SHORT = 0.3  # seconds: a ttl that runs out within the test
AFTER_SHORT = 0.45


async def beat(db: Database, node_id: str, cameras: int) -> bool:
    """A heartbeat in a transaction of its own (a node sends it with its lease renewals)."""
    async with db.session() as session, session.begin():
        return await heartbeat(session, node_id, cameras)


async def test_a_node_is_live_while_it_sends_heartbeats(db: Database) -> None:
    await announce(db, "a:8000", "http://a:8000")
    await announce(db, "b:8000", "http://b:8000")
    assert await beat(db, "a:8000", cameras=3) is False
    nodes = await live_nodes(db)
    assert [(n.id, n.url, n.draining, n.cameras) for n in nodes] == [
        ("a:8000", "http://a:8000", False, 3),
        ("b:8000", "http://b:8000", False, 0),
    ]
    assert nodes[0].seen_at.tzinfo is not None
    await asyncio.sleep(AFTER_SHORT)
    await beat(db, "b:8000", cameras=1)
    assert [n.id for n in await live_nodes(db, ttl_s=SHORT)] == ["b:8000"]


async def test_draining_is_told_by_the_heartbeat_and_cleared_by_announce(db: Database) -> None:
    await announce(db, "a:8000", "http://a:8000")
    assert await set_draining(db, "a:8000") is True
    assert await set_draining(db, "nobody:1") is False
    assert await beat(db, "a:8000", cameras=0) is True
    assert [n.draining for n in await live_nodes(db)] == [True]
    await announce(db, "a:8000", "http://a.example:8000")  # restarted, maybe elsewhere
    assert [(n.url, n.draining) for n in await live_nodes(db)] == [("http://a.example:8000", False)]


async def test_a_departed_node_is_gone_at_once(db: Database) -> None:
    await announce(db, "a:8000", "http://a:8000")
    await announce(db, "b:8000", "http://b:8000")
    await depart(db, "a:8000")
    assert [n.id for n in await live_nodes(db)] == ["b:8000"]
    assert await beat(db, "a:8000", cameras=0) is False
    assert [n.id for n in await live_nodes(db)] == ["b:8000"]
