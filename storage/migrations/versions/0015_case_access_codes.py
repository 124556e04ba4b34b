"""Access codes of a case: `access_codes.case_id`, `hearing_id` now optional.

A family follows a prisoner's case through every sitting it comes up in with one code: a row
holds either a hearing (as before) or a case, never both and never neither (a check). A case's
codes are unique per case as a hearing's are per hearing. Existing rows keep their hearing.

SQLite cannot loosen a NOT NULL column in place: batch mode copies the table.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_codes") as batch:
        batch.add_column(sa.Column("case_id", sa.String(length=32), nullable=True))
        batch.alter_column("hearing_id", existing_type=sa.String(length=32), nullable=True)
        batch.create_foreign_key("fk_access_codes_case_id", "cases", ["case_id"], ["id"])
        batch.create_unique_constraint("uq_access_codes_case_code", ["case_id", "code_hash"])
        batch.create_check_constraint(
            "ck_access_codes_one_scope", "(hearing_id IS NULL) <> (case_id IS NULL)"
        )
    op.create_index("ix_access_codes_case_id", "access_codes", ["case_id"])


def downgrade() -> None:
    op.execute("DELETE FROM access_codes WHERE hearing_id IS NULL")
    op.drop_index("ix_access_codes_case_id", table_name="access_codes")
    with op.batch_alter_table("access_codes") as batch:
        batch.drop_constraint("ck_access_codes_one_scope", type_="check")
        batch.drop_constraint("uq_access_codes_case_code", type_="unique")
        batch.drop_constraint("fk_access_codes_case_id", type_="foreignkey")
        batch.alter_column("hearing_id", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("case_id")
