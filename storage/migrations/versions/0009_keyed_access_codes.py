"""Access codes stored keyed: a `hash_scheme` per row.

New codes are kept as HMAC-SHA256 with a key derived from the installation's secret
('hmac-sha256'). Rows already there were hashed with plain SHA-256 and their codes are not
known, so they cannot be rehashed here: they are marked 'sha256' and rewritten keyed by
api/access_codes.py the first time their code is presented.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "access_codes",
        sa.Column("hash_scheme", sa.String(length=16), nullable=False, server_default="sha256"),
    )


def downgrade() -> None:
    with op.batch_alter_table("access_codes") as batch:
        batch.drop_column("hash_scheme")
