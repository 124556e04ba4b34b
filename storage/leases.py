"""Courtroom leases: one node at a time records and publishes a courtroom.

A lease lasts LEASE_TTL_S by the database's clock (storage/cluster_models.db_time) unless its
holder renews it. Each time a node takes a courtroom it did not hold, the fence number goes up
by one; index writes of footage name the fence they were made under and are refused
(`Fenced`) once it no longer holds, so a node that lost its lease without noticing (paused,
cut off) cannot write into a recording that another node now continues.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage import nodes
from storage.cluster_models import (
    CourtroomLease,
    LeaseGrant,
    clock,
    clock_value,
    db_time,
    dialect,
    insert,
)
from storage.db import Database
from storage.models import Recording

LEASE_TTL_S = 3.0
IDLE_LOCK_MS = 1500  # a transaction holding a lease row's lock, left idle (a cut-off node)
LOCK_WAIT_MS = 1000  # waiting for a lease row's lock
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # the expiry of a lease row no one has held yet

Reservation = dict[str, dict[str, list[int]]]  # recording -> camera -> [epoch, sequence]
_LEASES = cast(Table, CourtroomLease.__table__)
_RECORDINGS = cast(Table, Recording.__table__)
_BOUNDS = (  # PostgreSQL: see _bounded
    text(f"SET LOCAL idle_in_transaction_session_timeout = '{IDLE_LOCK_MS}ms'"),
    text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"),
)


@dataclass(frozen=True, slots=True)
class Fence:
    """What an index write of footage proves it still holds."""

    courtroom_id: str
    node_id: str
    number: int


@dataclass(frozen=True, slots=True)
class Lease:
    courtroom_id: str
    node_id: str
    fence: int
    expires_at: datetime
    # the highest numbers the holder may use; right after a takeover, the previous holder's
    reserved: Reservation
    handed_over: bool = False  # released by its holder, not lapsed


class Fenced(Exception):
    """The lease an index write was made under is no longer held: another node may hold it."""


async def current_lease(db: Database, courtroom_id: str) -> Lease | None:
    """Who holds the courtroom now; None if no one does."""
    async with db.session() as session:
        row = await session.scalar(
            select(CourtroomLease).where(
                CourtroomLease.courtroom_id == courtroom_id,
                CourtroomLease.expires_at > db_time(session),
            )
        )
        return None if row is None else _lease(row)


async def held_leases(db: Database) -> list[Lease]:
    """Every unexpired lease, by courtroom."""
    async with db.session() as session:
        rows = await session.scalars(
            select(CourtroomLease)
            .where(CourtroomLease.expires_at > db_time(session))
            .order_by(CourtroomLease.courtroom_id)
        )
        return [_lease(row) for row in rows]


async def previous_lease(db: Database, courtroom_id: str) -> Lease | None:
    """The courtroom's lease row even if it expired: who held it last, what it reserved."""
    async with db.session() as session:
        row = await session.get(CourtroomLease, courtroom_id)
        return None if row is None else _lease(row)


async def acquire(
    db: Database, courtroom_id: str, node_id: str, ttl_s: float = LEASE_TTL_S
) -> Lease | None:
    """Take or extend the courtroom's lease; None while another node holds it.

    Our own unexpired lease is extended under the same fence. A lease absent or expired (ours
    included: a restarted process is a new holder) is granted under the next fence number, and
    the grant recorded. Two nodes racing for a free courtroom on PostgreSQL: the row is created
    if missing, then locked, so the second sees the first's grant and gets None.
    """
    async with db.session() as session, session.begin():
        await _bounded(session)
        await session.execute(
            insert(session, CourtroomLease)
            .values(
                courtroom_id=courtroom_id, node_id=node_id, fence=0, expires_at=NEVER, reserved={}
            )
            .on_conflict_do_nothing(index_elements=["courtroom_id"])
        )
        row = await session.scalar(
            select(CourtroomLease)
            .where(CourtroomLease.courtroom_id == courtroom_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        now = await _now(session)
        held = row.expires_at > now
        if held and row.node_id != node_id:
            return None
        fence = row.fence if held else row.fence + 1
        if not held:
            session.add(
                LeaseGrant(courtroom_id=courtroom_id, node_id=node_id, fence=fence, granted_at=now)
            )
        renewed = await session.scalar(
            update(CourtroomLease)
            .where(CourtroomLease.courtroom_id == courtroom_id)
            .values(
                node_id=node_id,
                fence=fence,
                expires_at=db_time(session, ttl_s),
                handed_over=row.handed_over and fence == row.fence,
                shown=row.shown if fence == row.fence else None,  # the last holder's is gone
            )
            .returning(CourtroomLease)
            .execution_options(populate_existing=True)
        )
        assert renewed is not None
        return _lease(renewed)


@dataclass(frozen=True, slots=True)
class KeptAlive:
    """What a node's round each second found."""

    draining: bool  # it was told to hand its courtrooms over
    held: set[str]  # the courtrooms it still holds
    live: list[nodes.NodeRow]  # every node live now, itself included
    orphans: list[tuple[str, str]]  # (recording, courtroom) running with nobody holding it


async def keep_alive(
    db: Database,
    node_id: str,
    cameras: int,
    held: dict[str, int],
    reserved: dict[str, Reservation],
    shown: dict[str, dict[str, Any]] | None = None,
) -> KeptAlive:
    """A node's round each second, in one transaction (one round trip set where there were
    four): its heartbeat, its leases renewed (`renew`), the nodes live now, and the running
    recordings nobody holds (`orphaned_recordings`), for the node to take if it is the
    least loaded."""
    async with db.session() as session, session.begin():
        await _bounded(session)
        draining = await nodes.heartbeat(session, node_id, cameras)
        kept = await renew(session, node_id, held, reserved, shown=shown)
        live = await nodes.nodes_seen(session)
        orphans = await _orphans(session)
    return KeptAlive(draining, kept, live, orphans)


async def renew(
    session: AsyncSession,
    node_id: str,
    held: dict[str, int],
    reserved: dict[str, Reservation],
    ttl_s: float = LEASE_TTL_S,
    shown: dict[str, dict[str, Any]] | None = None,
) -> set[str]:
    """Extend the leases `held` (courtroom -> fence) that this node still holds unexpired, and
    store each courtroom's reservation given in `reserved` and what it shows the public given
    in `shown`; the courtrooms still held.

    In the caller's transaction: the reservations are stored exactly when the leases are
    extended.
    """
    name = dialect(session)
    kept: set[str] = set()
    for courtroom_id in sorted(held):
        values = _held_values(name, courtroom_id, node_id, held[courtroom_id])
        values["until"] = clock_value(name, ttl_s)
        if courtroom_id in reserved:
            values["reservation"] = reserved[courtroom_id]
        if shown is not None and courtroom_id in shown:
            values["showing"] = shown[courtroom_id]
        statement = _renew_statement(name, "reservation" in values, "showing" in values)
        found = await session.scalar(statement, values)
        if found is not None:
            kept.add(found)
    return kept


def _held_under_fence(dialect_name: str) -> tuple[ColumnElement[bool], ...]:
    """The lease row of courtroom `room` held unexpired by `node` under fence `held_fence`."""
    return (
        _LEASES.c.courtroom_id == bindparam("room"),
        _LEASES.c.node_id == bindparam("node"),
        _LEASES.c.fence == bindparam("held_fence"),
        _LEASES.c.expires_at > clock(dialect_name, "now"),
    )


def _held_values(dialect_name: str, courtroom_id: str, node_id: str, fence: int) -> dict[str, Any]:
    """What `_held_under_fence` is given at each execution."""
    now = clock_value(dialect_name)
    return {"room": courtroom_id, "node": node_id, "held_fence": fence, "now": now}


@functools.cache
def _renew_statement(dialect_name: str, reservation: bool, showing: bool) -> Update:
    """On the table, as storage/nodes._NODES; storing the reservation and what the room
    shows only when they are given."""
    values: dict[str, Any] = {"expires_at": clock(dialect_name, "until")}
    if reservation:
        values["reserved"] = bindparam("reservation", type_=_LEASES.c.reserved.type)
    if showing:
        values["shown"] = bindparam("showing", type_=_LEASES.c.shown.type)
    return (
        update(_LEASES)
        .where(*_held_under_fence(dialect_name))
        .values(**values)
        .returning(_LEASES.c.courtroom_id)
    )


async def release(
    db: Database,
    courtroom_id: str,
    node_id: str,
    fence: int,
    reserved: Reservation | None = None,
) -> None:
    """Give the courtroom up: the lease expires now, so another node may take it at once."""
    values: dict[str, Any] = {}
    if reserved is not None:
        values["reserved"] = reserved
    async with db.session() as session, session.begin():
        await session.execute(
            update(CourtroomLease)
            .where(
                CourtroomLease.courtroom_id == courtroom_id,
                CourtroomLease.node_id == node_id,
                CourtroomLease.fence == fence,
            )
            .values(expires_at=db_time(session), handed_over=True, **values)
        )


async def shown_by_holders(session: AsyncSession, courtroom_ids: set[str]) -> dict[str, Any]:
    """Courtroom -> what its holder last said it shows the public, for the given courtrooms
    held unexpired (by any node) and whose holder said so."""
    if not courtroom_ids:
        return {}
    rows = await session.execute(
        select(CourtroomLease.courtroom_id, CourtroomLease.shown).where(
            CourtroomLease.courtroom_id.in_(sorted(courtroom_ids)),
            CourtroomLease.expires_at > db_time(session),
        )
    )
    return {courtroom_id: shown for courtroom_id, shown in rows if shown is not None}


async def orphaned_recordings(db: Database) -> list[tuple[str, str]]:
    """(recording, courtroom) of every running recording no node holds the courtroom of."""
    async with db.session() as session:
        return await _orphans(session)


async def _orphans(session: AsyncSession) -> list[tuple[str, str]]:
    name = dialect(session)
    rows = await session.execute(_orphans_statement(name), {"now": clock_value(name)})
    return [(recording_id, courtroom_id) for recording_id, courtroom_id in rows]


@functools.cache
def _orphans_statement(dialect_name: str) -> Select[Any]:
    held = exists().where(
        _LEASES.c.courtroom_id == _RECORDINGS.c.courtroom_id,
        _LEASES.c.expires_at > clock(dialect_name, "now"),
    )
    return (
        select(_RECORDINGS.c.id, _RECORDINGS.c.courtroom_id)
        .where(_RECORDINGS.c.status == "recording", ~held)
        .order_by(_RECORDINGS.c.started_at, _RECORDINGS.c.id)
    )


async def check_fence(session: AsyncSession, fence: Fence) -> None:
    """Raise Fenced unless `fence` still holds its courtroom, inside the caller's transaction.

    On PostgreSQL the lease row stays share-locked until that transaction ends, so no other
    node can take the courtroom between this check and the write it guards.
    """
    await _bounded(session)
    name = dialect(session)
    values = _held_values(name, fence.courtroom_id, fence.node_id, fence.number)
    holds = await session.scalar(_fence_statement(name), values)
    if holds is None:
        raise Fenced(
            f"node {fence.node_id} no longer holds courtroom {fence.courtroom_id}"
            f" under fence {fence.number}"
        )


@functools.cache
def _fence_statement(dialect_name: str) -> Select[Any]:
    """Built once per dialect: every segment indexed checks its fence."""
    held = _held_under_fence(dialect_name)
    return select(_LEASES.c.courtroom_id).where(*held).with_for_update(read=True)


async def _bounded(session: AsyncSession) -> None:
    """Bound how long this transaction may hold or wait for a lease row's lock (PostgreSQL).

    A node cut off from the database in the middle of a transaction leaves it open, and
    with it the lock on its lease row: without a bound no other node could take the courtroom
    over until the connection died, minutes later. The server ends such a transaction
    after IDLE_LOCK_S, and a node waiting for the lock gives up after LOCK_WAIT_S and tries
    again on its next round instead of stalling.
    """
    if dialect(session) == "postgresql":
        for bound in _BOUNDS:
            await session.execute(bound)


async def _now(session: AsyncSession) -> datetime:
    now = await session.scalar(select(db_time(session)))
    assert now is not None
    return now


def _lease(row: CourtroomLease) -> Lease:
    return Lease(
        courtroom_id=row.courtroom_id,
        node_id=row.node_id,
        fence=row.fence,
        expires_at=row.expires_at,
        reserved=row.reserved,
        handed_over=row.handed_over,
    )
