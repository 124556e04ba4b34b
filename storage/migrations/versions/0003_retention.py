"""Retention: each case's type and legal hold, each recording's retention class and date.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("case_type", sa.String(length=32), nullable=False, server_default="default")
        )
        batch.add_column(
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("retention_class", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("retention_mode", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("retain_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("retain_until")
        batch.drop_column("retention_mode")
        batch.drop_column("retention_class")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("legal_hold")
        batch.drop_column("case_type")
