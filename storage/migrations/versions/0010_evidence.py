"""Evidence: object versions in the index, a keyed audit chain and its checkpoints.

- `version_id` on init segments and segments, `manifest_version_id` on recordings: on a
  versioned (object-lock) bucket, the version the index recorded is the one verified and
  served, and any version laid on top of it is reported.
- `audit_events.chain`: how an entry's hash was made. Entries already there were chained
  with plain SHA-256 ('sha256'); new ones with HMAC-SHA256 keyed by the installation's
  secret ('hmac-sha256'), which the database does not hold.
- `audit_checkpoints`: the signed checkpoints of the chain's head written to the object
  store, so `courtcast audit verify` can tell a deleted checkpoint from one never written.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("init_segments", "segments"):
        op.add_column(table, sa.Column("version_id", sa.String(length=128), nullable=True))
    op.add_column(
        "recordings", sa.Column("manifest_version_id", sa.String(length=128), nullable=True)
    )
    op.add_column(
        "audit_events",
        sa.Column("chain", sa.String(length=16), nullable=False, server_default="sha256"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("object_key", sa.String(length=512), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.String(length=128), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("object_key"),
    )
    op.create_index("ix_audit_checkpoints_entries", "audit_checkpoints", ["entries"])


def downgrade() -> None:
    op.drop_index("ix_audit_checkpoints_entries", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("chain")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("manifest_version_id")
    for table in ("segments", "init_segments"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version_id")
