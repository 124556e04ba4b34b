"""The nodes of an installation: who is running, where it answers, how loaded it is.

A node announces itself when it starts and sends a heartbeat about every second; one not seen
for NODE_TTL_S (by the database's clock, storage/cluster_models.db_time) is taken for gone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, Update, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cluster_models import Node, clock, clock_value, db_time, dialect, insert
from storage.db import Database

NODE_TTL_S = 3.0
# The table, not the mapped class, in the statements of a node's round each second: an ORM
# UPDATE or SELECT costs about half as much again, in Python, as the same statement on the table.
# Those statements are built once per dialect (`clock`), with their values bound at execution.
_NODES = cast(Table, Node.__table__)


@dataclass(frozen=True, slots=True)
class NodeRow:
    id: str
    url: str
    seen_at: datetime
    draining: bool
    cameras: int  # publishing to it now: new courtrooms go to the least loaded node


async def announce(db: Database, node_id: str, url: str) -> None:
    """A node starts: it is seen now at `url`, not draining, with no cameras yet."""
    async with db.session() as session, session.begin():
        fresh = {"url": url, "seen_at": db_time(session), "draining": False, "cameras": 0}
        await session.execute(
            insert(session, Node)
            .values(id=node_id, **fresh)
            .on_conflict_do_update(index_elements=["id"], set_=fresh)
        )


async def heartbeat(session: AsyncSession, node_id: str, cameras: int) -> bool:
    """The node is still here with `cameras` publishing (in the caller's transaction, which
    renews its leases too: storage/leases.keep_alive); whether it was told to drain (False for
    a node that never announced itself or departed: it is not listed as live)."""
    name = dialect(session)
    values = {"node": node_id, "camera_count": cameras, "now": clock_value(name)}
    draining = await session.scalar(_heartbeat_statement(name), values)
    return bool(draining)


@functools.cache
def _heartbeat_statement(dialect_name: str) -> Update:
    return (
        update(_NODES)
        .where(_NODES.c.id == bindparam("node"))
        .values(seen_at=clock(dialect_name, "now"), cameras=bindparam("camera_count"))
        .returning(_NODES.c.draining)
    )


async def live_nodes(db: Database, ttl_s: float = NODE_TTL_S) -> list[NodeRow]:
    """Every node seen within `ttl_s`, by id."""
    async with db.session() as session:
        return await nodes_seen(session, ttl_s)


async def nodes_seen(session: AsyncSession, ttl_s: float = NODE_TTL_S) -> list[NodeRow]:
    """`live_nodes` in the caller's session."""
    name = dialect(session)
    rows = await session.execute(_seen_statement(name), {"since": clock_value(name, -ttl_s)})
    return [
        NodeRow(
            id=row.id,
            url=row.url,
            seen_at=row.seen_at,
            draining=row.draining,
            cameras=row.cameras,
        )
        for row in rows
    ]


@functools.cache
def _seen_statement(dialect_name: str) -> Select[Any]:
    since = clock(dialect_name, "since")
    return select(_NODES).where(_NODES.c.seen_at > since).order_by(_NODES.c.id)


async def set_draining(db: Database, node_id: str) -> bool:
    """Tell the node to hand its courtrooms over and take no more; False if there is no such
    node."""
    async with db.session() as session, session.begin():
        found = await session.scalar(
            update(Node).where(Node.id == node_id).values(draining=True).returning(Node.id)
        )
        return found is not None


async def depart(db: Database, node_id: str) -> None:
    """A clean exit: the node is no longer live at once, without waiting for NODE_TTL_S."""
    async with db.session() as session, session.begin():
        await session.execute(delete(Node).where(Node.id == node_id))
