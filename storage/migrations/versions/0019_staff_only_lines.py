"""Staff-only transcript lines: `transcript_lines.staff_only`.

A clerk's note for the bench (a reminder, a line about a sealed exhibit) is part of the record
but never shown on the courtroom's display or to viewers of the live record; every line
written before this migration was shown, so the column defaults to false.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "transcript_lines",
        sa.Column("staff_only", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("transcript_lines") as batch:
        batch.drop_column("staff_only")
