"""Evidence sources: `cameras.kind`, `camera` or `evidence` (a screen or a document camera
showing exhibits, published and recorded like any camera). Every camera before this migration
was a camera.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cameras",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="camera"),
    )


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("kind")
