"""Viewing sessions: `viewing_sessions`, one row per live (WHEP) viewer who is not staff.

Oversight of parole and commutation hearings counts, per courtroom and period, the viewing
points and family devices that watched and the minutes watched; these rows are what it counts.

A new table only: no table rebuild on SQLite.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "viewing_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("hearing_id", sa.String(length=32), nullable=False),
        sa.Column("courtroom_id", sa.String(length=32), nullable=False),
        sa.Column("camera", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code_id", sa.String(length=32), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("screen_id", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_viewing_sessions_courtroom_id", "viewing_sessions", ["courtroom_id"])
    op.create_index(
        "ix_viewing_sessions_hearing_started", "viewing_sessions", ["hearing_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_table("viewing_sessions")
