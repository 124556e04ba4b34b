"""Who is assigned to a hearing: the only non-admins who may see it once it is sealed.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hearing_assignments",
        sa.Column("hearing_id", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hearing_id"], ["hearings.id"]),
        sa.ForeignKeyConstraint(["token_id"], ["tokens.id"]),
        sa.PrimaryKeyConstraint("hearing_id", "token_id"),
    )
    op.create_index("ix_hearing_assignments_token_id", "hearing_assignments", ["token_id"])


def downgrade() -> None:
    op.drop_index("ix_hearing_assignments_token_id", table_name="hearing_assignments")
    op.drop_table("hearing_assignments")
