"""Migration 0012: cameras made before it keep their names and get no display names."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from storage.db import Database, alembic_config
from tests.support.server import scratch_index_url


async def test_cameras_gain_empty_labels_and_lose_them_on_downgrade(tmp_path: Path) -> None:
    db = Database(scratch_index_url(tmp_path))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0011"))
            for statement in (
                "INSERT INTO courts (id, name, timezone, created_at)"
                " VALUES ('court', '衡阳', 'Asia/Shanghai', CURRENT_TIMESTAMP)",
                "INSERT INTO courtrooms (id, court_id, name, kind, created_at)"
                " VALUES ('room', 'court', '第三法庭', 'courtroom', CURRENT_TIMESTAMP)",
                "INSERT INTO cameras (id, courtroom_id, name, position)"
                " VALUES ('cam', 'room', 'bench', 0)",
            ):
                await connection.execute(text(statement))
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0012"))
            await connection.execute(text("UPDATE cameras SET label_en = 'Bench' WHERE id = 'cam'"))
            row = (
                await connection.execute(text("SELECT name, label_zh, label_en FROM cameras"))
            ).one()
            assert tuple(row) == ("bench", None, "Bench")
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0011"))
            names = (await connection.execute(text("SELECT * FROM cameras"))).keys()
            assert list(names) == ["id", "courtroom_id", "name", "position"]
    finally:
        await db.close()
