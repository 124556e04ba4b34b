"""Sittings: `sittings` and `sitting_entries`.

- `sittings`: a courtroom's running order of hearings held back to back (开庭批次), its
  status (planned, running, ended) and the position of the entry in session.
- `sitting_entries`: (sitting, position) -> hearing; a hearing at most once per sitting.

New tables only: no table rebuild on SQLite.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sittings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("courtroom_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["courtroom_id"], ["courtrooms.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sittings_courtroom_id", "sittings", ["courtroom_id"])
    op.create_index("ix_sittings_scheduled_start", "sittings", ["scheduled_start"])
    op.create_table(
        "sitting_entries",
        sa.Column("sitting_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hearing_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["sitting_id"], ["sittings.id"]),
        sa.ForeignKeyConstraint(["hearing_id"], ["hearings.id"]),
        sa.PrimaryKeyConstraint("sitting_id", "position"),
        sa.UniqueConstraint("sitting_id", "hearing_id"),
    )
    op.create_index("ix_sitting_entries_hearing_id", "sitting_entries", ["hearing_id"])


def downgrade() -> None:
    op.drop_table("sitting_entries")
    op.drop_table("sittings")
