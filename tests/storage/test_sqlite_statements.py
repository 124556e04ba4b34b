"""Each SQLite statement is one call on the driver's thread (storage/sqlite_statements.py),
with the results, row counts and errors SQLAlchemy's own cursor gives."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import aiosqlite.core
import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.exc import IntegrityError

from storage.db import sqlite_url
from storage.models import Court
from tests.support.server import migrated_index


async def test_a_session_takes_one_call_per_statement(
    tmp_path: Path, driver_calls: Counter[str]
) -> None:
    async with migrated_index(sqlite_url(tmp_path / "index.db")) as db:
        async with db.session() as session, session.begin():
            session.add(Court(name="长沙市中级人民法院"))
        driver_calls.clear()
        async with db.session() as session:
            await session.execute(update(Court).values(timezone="Asia/Shanghai"))
            names = (await session.scalars(select(Court.name))).all()
            await session.commit()
        assert names == ["长沙市中级人民法院"]
        # the update, the query, the commit (SQLAlchemy's cursor: 3 + 4 + 1)
        assert sum(driver_calls.values()) == 3


async def test_rows_counts_and_errors_are_sqlites(tmp_path: Path) -> None:
    async with migrated_index(sqlite_url(tmp_path / "index.db")) as db:
        rows = [{"id": f"c{n}", "name": f"法院{n}", "timezone": "Asia/Shanghai"} for n in range(5)]
        async with db.session() as session, session.begin():
            await session.execute(insert(Court), rows)  # executemany
        async with db.session() as session, session.begin():
            changed = await session.execute(
                update(Court).where(Court.id.in_(["c1", "c3"])).values(name="改名")
            )
            assert changed.rowcount == 2  # type: ignore[attr-defined]
            result = await session.execute(text("SELECT id, name FROM courts ORDER BY id"))
            assert [tuple(row) for row in result] == [
                ("c0", "法院0"),
                ("c1", "改名"),
                ("c2", "法院2"),
                ("c3", "改名"),
                ("c4", "法院4"),
            ]
        async with db.session() as session:
            with pytest.raises(IntegrityError):
                await session.execute(insert(Court), [rows[0]])  # the same id again
            await session.rollback()
            streamed = await session.stream_scalars(select(Court.id).order_by(Court.id))
            assert [court_id async for court_id in streamed] == [f"c{n}" for n in range(5)]


def test_the_names_it_reads_are_where_it_reads_them() -> None:
    """SQLAlchemy 2.1's aiosqlite adapter and aiosqlite 0.22, as storage/sqlite_statements.py
    reads them: a new version that moves one fails here, not in a court."""
    assert AsyncAdapt_aiosqlite_connection._cursor_cls is AsyncAdapt_aiosqlite_cursor
    assert "_execute_mutex" in slots(AsyncAdapt_aiosqlite_connection)
    for method in ("_execute_async", "_executemany_async", "_async_soft_close", "close"):
        assert callable(getattr(AsyncAdapt_aiosqlite_cursor, method))
    kept = {"_adapt_connection", "_connection", "_cursor", "_rows", "_soft_closed_memoized"}
    assert kept <= slots(AsyncAdapt_aiosqlite_cursor)
    assert callable(aiosqlite.core.Connection._execute)
    assert isinstance(aiosqlite.core.Connection._conn, property)


def slots(cls: type) -> set[str]:
    return {slot for base in cls.__mro__ for slot in getattr(base, "__slots__", ())}
