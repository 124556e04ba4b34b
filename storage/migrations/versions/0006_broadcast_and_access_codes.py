"""Live broadcast control per hearing (kill switch, delay) and access codes for families.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("hearing_id", sa.String(length=32), nullable=False),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("delay_s", sa.Float(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["hearing_id"], ["hearings.id"]),
        sa.PrimaryKeyConstraint("hearing_id"),
    )
    op.create_table(
        "access_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("hearing_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_viewers", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["hearing_id"], ["hearings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hearing_id", "code_hash"),
    )
    op.create_index("ix_access_codes_hearing_id", "access_codes", ["hearing_id"])


def downgrade() -> None:
    op.drop_index("ix_access_codes_hearing_id", table_name="access_codes")
    op.drop_table("access_codes")
    op.drop_table("broadcasts")
