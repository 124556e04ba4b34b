"""Camera display names: `cameras.label_zh` and `cameras.label_en`.

A camera's name (bench, witness) is what WHIP URLs, tokens and stored object keys carry, so
it never changes once footage exists; pages show its display name in the reader's language
(审判席 / Bench) instead. Both are optional: a page falls back to the name.

Plain nullable columns, added without a table rebuild on SQLite.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LABELS = ("label_zh", "label_en")


def upgrade() -> None:
    for column in LABELS:
        op.add_column("cameras", sa.Column(column, sa.String(length=64), nullable=True))


def downgrade() -> None:
    for column in LABELS:
        op.execute(f"ALTER TABLE cameras DROP COLUMN {column}")
