"""Several nodes: `nodes`, `courtroom_leases`, `lease_grants`; who indexed each segment.

- `nodes`: every running process, its advertised URL, when it was last seen (by the
  database's clock), whether it is draining and how many cameras publish to it.
- `courtroom_leases`: one row per courtroom ever held: the holder, its fence number, when the
  lease expires, the epoch and sequence numbers the holder reserved per recording and
  camera (the next holder continues after them), and whether the holder handed it over.
- `lease_grants`: every fence number granted, once per (courtroom, fence).
- `node_id` and `fence` on init segments and segments: the node and lease that indexed each
  one (None for rows from before, and for footage recovered from a spool).

Plain nullable columns and new tables: no table rebuild on SQLite.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENT_TABLES = ("init_segments", "segments")


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draining", sa.Boolean(), nullable=False),
        sa.Column("cameras", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "courtroom_leases",
        sa.Column("courtroom_id", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=255), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved", sa.JSON(), nullable=False),
        sa.Column("handed_over", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("courtroom_id"),
    )
    op.create_index("ix_courtroom_leases_expires_at", "courtroom_leases", ["expires_at"])
    op.create_table(
        "lease_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("courtroom_id", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=255), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("courtroom_id", "fence"),
    )
    for table in SEGMENT_TABLES:
        op.add_column(table, sa.Column("node_id", sa.String(length=255), nullable=True))
        op.add_column(table, sa.Column("fence", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in SEGMENT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("fence")
            batch.drop_column("node_id")
    op.drop_table("lease_grants")
    op.drop_index("ix_courtroom_leases_expires_at", table_name="courtroom_leases")
    op.drop_table("courtroom_leases")
    op.drop_table("nodes")
