"""What a courtroom's holder shows the public live: `courtroom_leases.shown`, written by the
holder at each renewal, so a process that does not hold the room can list its live cameras.

A nullable column only: no table rebuild on SQLite.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("courtroom_leases", sa.Column("shown", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("courtroom_leases") as batch:
        batch.drop_column("shown")
