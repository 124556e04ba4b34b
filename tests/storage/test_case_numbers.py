"""Case number keys: a table of the ways a number is typed, a property over all numbers, and
the migration's backfill of cases entered before the key existed."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from storage.case_numbers import normalize
from storage.db import Database, alembic_config
from tests.support.server import scratch_index_url

KEY = "(2026)湘04民初123号"


@pytest.mark.parametrize(
    "typed",
    [
        "(2026)湘04民初123号",
        "（2026）湘04民初123号",  # full-width brackets (a Chinese input method)
        "（２０２６）湘０４民初１２３号",  # full-width digits too
        "〔2026〕湘04民初123号",  # the brackets of official documents
        "[2026]湘04民初123号",
        "【2026】湘04民初123号",
        " (2026) 湘04 民初 123号 ",
        "(2026)\u3000湘04民初123号\t",  # ideographic space, tab
    ],
)
def test_every_spelling_has_one_key(typed: str) -> None:
    assert normalize(typed) == KEY


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("民初１２３", "民初123"),
        ("ＡＢ-12", "ab-12"),  # full-width Latin, any case
        ("(2026)京01民终88号", "(2026)京01民终88号"),
        ("50%_9", "50%_9"),  # LIKE wildcards are the search's to escape, not dropped
        ("", ""),
    ],
)
def test_pieces_and_letters(typed: str, key: str) -> None:
    assert normalize(typed) == key


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


@settings(derandomize=True, max_examples=300)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("湘民初号")))
def test_the_full_width_form_of_a_number_has_its_key(number: str) -> None:
    full = "".join(FULL_WIDTH.get(c, c) for c in number)
    assert normalize(full) == normalize(number)
    assert normalize(normalize(number)) == normalize(number)


async def test_the_migration_gives_existing_cases_their_key(tmp_path: Path) -> None:
    db = Database(scratch_index_url(tmp_path))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0010"))
            await connection.execute(
                text(
                    "INSERT INTO courts (id, name, timezone, created_at)"
                    " VALUES ('court', '衡阳', 'Asia/Shanghai', CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO cases (id, court_id, number, title, case_type, legal_hold,"
                    " created_at) VALUES ('c1', 'court', :number, '张三诉李四', 'default', false,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"number": "（2026）湘04 民初123号"},
            )
        await db.migrate()
        async with db.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT number, number_key FROM cases"))).all()
        assert [tuple(row) for row in rows] == [("（2026）湘04 民初123号", KEY)]
    finally:
        await db.close()
