"""The tables the nodes of one installation share (nodes, courtroom leases, lease grants), and
the clock their times are measured by.

Apart from the court's records (storage/models.py) because only storage/leases.py and
storage/nodes.py write them. Their times come from the database's clock on PostgreSQL, so
nodes on machines whose clocks disagree still agree on who holds a courtroom; SQLite serves a
single node, whose own clock is the only one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Interval,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    false,
    func,
    literal,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime

NODE_ID_LENGTH = 255  # "<hostname>:<port>" by default, and a hostname may be long


class Node(Base):
    """A running Courtcast process: where it answers, when it last said so, how loaded it is."""

    __tablename__ = "nodes"

    id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH), primary_key=True)
    url: Mapped[str] = mapped_column(String(512))
    seen_at: Mapped[datetime] = mapped_column()
    draining: Mapped[bool] = mapped_column(Boolean, default=False)
    cameras: Mapped[int] = mapped_column(Integer, default=0)  # publishing now


class CourtroomLease(Base):
    """Which node records and publishes a courtroom, until when, under which fence number.

    The row outlives its expiry: the next holder reads who held it last and `reserved`, the
    highest epoch and sequence per recording and camera the last holder may have used.
    """

    __tablename__ = "courtroom_leases"

    courtroom_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    fence: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    reserved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # released by its holder (a drain) rather than lapsed: the next holder's gap says why
    handed_over: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # what the holder shows the public of the room (court/live/shown_rooms.py), as of its last
    # renewal; cleared when another fence is granted
    shown: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class LeaseGrant(Base):
    """Every fence number ever granted, to whom and when: the history of a courtroom's holders."""

    __tablename__ = "lease_grants"
    __table_args__ = (UniqueConstraint("courtroom_id", "fence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    courtroom_id: Mapped[str] = mapped_column(String(32))
    node_id: Mapped[str] = mapped_column(String(NODE_ID_LENGTH))
    fence: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column()


def db_time(session: AsyncSession, after_s: float = 0.0) -> ColumnElement[datetime]:
    """Now (plus `after_s`, which may be negative) by the clock every node agrees on:
    PostgreSQL's `clock_timestamp()`, or this process's UTC clock on SQLite (one node)."""
    name = dialect(session)
    value = clock_value(name, after_s)
    if name == "postgresql":
        return type_coerce(func.clock_timestamp() + literal(value, Interval()), UTCDateTime())
    return literal(value, UTCDateTime())


def clock(dialect_name: str, name: str) -> ColumnElement[datetime]:
    """`db_time` with its offset (PostgreSQL) or its time (SQLite) left as the bound parameter
    `name`: a statement of a node's round each second is built once per dialect instead of
    once a second. Each execution gives `clock_value(dialect_name, after_s)` under `name`."""
    if dialect_name == "postgresql":
        now = func.clock_timestamp() + bindparam(name, type_=Interval())
        return type_coerce(now, UTCDateTime())
    return bindparam(name, type_=UTCDateTime())


def clock_value(dialect_name: str, after_s: float = 0.0) -> datetime | timedelta:
    """What `clock(dialect_name, name)` is given for now plus `after_s`."""
    offset = timedelta(seconds=after_s)
    return offset if dialect_name == "postgresql" else datetime.now(UTC) + offset


def insert(session: AsyncSession, model: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the dialect of the session's database."""
    return insert_in(dialect(session), model)


def insert_in(dialect_name: str, model: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    """`insert` for a statement built once per dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
