"""An SQLite connection back in the pool is rolled back only if a transaction is still open
(storage/db.py): a session that ended its transaction costs no extra round trip to the
driver's thread, and one that did not is never handed out with its write lock."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

from storage.db import Database, sqlite_url
from storage.models import Court
from tests.support.server import migrated_index


async def test_a_session_that_ended_its_transaction_is_not_rolled_back_again(
    tmp_path: Path, driver_calls: Counter[str]
) -> None:
    async with migrated_index(sqlite_url(tmp_path / "index.db")) as db:
        await count_courts(db)  # the pool's connection is open from here on
        driver_calls.clear()
        async with db.session() as session, session.begin():
            session.add(Court(name="长沙市中级人民法院"))
        assert (driver_calls["commit"], driver_calls["rollback"]) == (1, 0)
        driver_calls.clear()
        assert await count_courts(db) == 1
        assert (driver_calls["commit"], driver_calls["rollback"]) == (0, 1)  # the session's own


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(tmp_path: Path) -> None:
    async with migrated_index(sqlite_url(tmp_path / "index.db")) as db:
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.execute("BEGIN IMMEDIATE")  # the write lock, behind SQLAlchemy's back
            await driver.execute(
                "INSERT INTO courts (id, name, timezone, created_at)"
                " VALUES ('x', '湘潭', 'Asia/Shanghai', '2026-12-06')"
            )
            assert driver.in_transaction
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is driver  # the same connection, handed out again
            assert not driver.in_transaction
            assert await connection.scalar(text("SELECT count(*) FROM courts")) == 0
        async with db.session() as session, session.begin():  # no lock left behind
            session.add(Court(name="湘潭市中级人民法院"))
        assert await count_courts(db) == 1


async def count_courts(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Court)) or 0
