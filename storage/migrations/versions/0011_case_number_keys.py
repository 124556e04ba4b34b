"""Case number keys: `cases.number_key`, the number as storage/case_numbers.py spells it.

Judges type case numbers with full-width brackets and digits (a Chinese input method),
〔〕 or [], and spaces; equality and "contains" compare this key, never the number as typed.
Existing rows are backfilled with the same function the application uses on write. A
plain index serves equality; on PostgreSQL a pg_trgm GIN index serves "contains" (LIKE),
while SQLite scans the key column, short strings of one table.

The column is added with a default so SQLite needs no table rebuild (which would drop the
search triggers of 0005 and 0008).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.case_numbers import normalize

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("number_key", sa.String(length=100), nullable=False, server_default=""),
    )
    cases = sa.table("cases", sa.column("id"), sa.column("number"), sa.column("number_key"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(cases.c.id, cases.c.number)).all()
    if rows:
        bind.execute(
            cases.update()
            .where(cases.c.id == sa.bindparam("case_id"))
            .values(number_key=sa.bindparam("key")),
            [{"case_id": row.id, "key": normalize(row.number)} for row in rows],
        )
    op.create_index("ix_cases_number_key", "cases", ["number_key"])
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_cases_number_key_trgm ON cases USING gin (number_key gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_cases_number_key_trgm")
    op.drop_index("ix_cases_number_key", table_name="cases")
    op.execute("ALTER TABLE cases DROP COLUMN number_key")
