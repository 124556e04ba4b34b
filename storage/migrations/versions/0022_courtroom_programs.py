"""Courtroom programs: `courtroom_programs`, the source each courtroom's program feed shows
(a camera or the recess slate), so the choice outlives a restart or a takeover.

A new table only: no table rebuild on SQLite.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courtroom_programs",
        sa.Column("courtroom_id", sa.String(length=32), nullable=False),
        sa.Column("chosen", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["courtroom_id"], ["courtrooms.id"]),
        sa.PrimaryKeyConstraint("courtroom_id"),
    )


def downgrade() -> None:
    op.drop_table("courtroom_programs")
