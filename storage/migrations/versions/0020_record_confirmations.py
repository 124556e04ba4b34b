"""Record confirmations: `record_confirmations`, a party's signature on one version of a
recording's court record, with the stored signature and signed statement's keys and hashes.

A new table only: no table rebuild on SQLite.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_confirmations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("party_role", sa.String(length=32), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_lines", sa.Integer(), nullable=False),
        sa.Column("signature_key", sa.String(length=512), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("statement_key", sa.String(length=512), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_record_confirmations_recording_id", "record_confirmations", ["recording_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_record_confirmations_recording_id", table_name="record_confirmations")
    op.drop_table("record_confirmations")
