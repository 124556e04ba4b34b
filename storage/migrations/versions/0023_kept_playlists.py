"""Kept playlists: `kept_playlists`, a stopped track's archive playlist entries as rendered
text (zlib), so the first seek after a server start reads one row instead of rendering every
segment.

A new table only: no table rebuild on SQLite.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_playlists",
        sa.Column("track_id", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.LargeBinary(), nullable=False),
        sa.Column("target_s", sa.Integer(), nullable=True),
        sa.Column("current_map", sa.Text(), nullable=True),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["track_id"], ["tracks.id"]),
        sa.PrimaryKeyConstraint("track_id"),
    )


def downgrade() -> None:
    op.drop_table("kept_playlists")
