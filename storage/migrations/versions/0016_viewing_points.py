"""Viewing points: `tokens.place` and `tokens.visibilities`, for the `screen` role.

A screen in a prison's cell block, education hall or visiting room holds a token of its own
(lasting until revoked): `place` says which kind of place, `visibilities` which hearings
(public, restricted) it may show in the courtrooms the token names. Other roles leave both
empty.

Plain nullable columns, added without a table rebuild on SQLite.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("place", sa.String(length=32), nullable=True))
    op.add_column("tokens", sa.Column("visibilities", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM tokens WHERE role = 'screen'")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("visibilities")
        batch.drop_column("place")
