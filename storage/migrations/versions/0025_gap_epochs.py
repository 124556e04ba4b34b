"""Which footage ends a gap: `gaps.after_epoch`, the highest epoch its camera's footage had
used when the gap opened. The gap ends at the camera's first segment numbered past it, and
a node that takes the recording over (or a process restarted after a crash) reads it from
here rather than from the memory of the process that opened the gap.

A nullable column only: no table rebuild on SQLite. Gaps opened before it have none.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("gaps", sa.Column("after_epoch", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gaps") as batch:
        batch.drop_column("after_epoch")
