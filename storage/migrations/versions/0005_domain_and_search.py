"""Parties, hearing judge and actual times, transcript lines with history, search indexes.

Full text must find Chinese, which has no spaces between words, so both databases index
character trigrams: SQLite an FTS5 `trigram` table kept in sync by triggers (any writer,
bulk loads included, keeps it right), PostgreSQL pg_trgm GIN indexes that serve ILIKE.
The SQLite triggers belong to their tables: a later batch migration that recreates one of
them (cases, hearings, case_parties, markers, transcript_lines) must create them again
with `sqlite_search_triggers()`.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (kind in search_documents, table, text column): what `q` searches, and the party filter.
SEARCHED = (
    ("case", "cases", "title"),
    ("hearing", "hearings", "title"),
    ("party", "case_parties", "name"),
    ("marker", "markers", "text"),
    ("transcript", "transcript_lines", "text"),
)

HEARING_INDEXES = {
    "ix_hearings_start_id": ["scheduled_start", "id"],
    "ix_hearings_courtroom_start": ["courtroom_id", "scheduled_start", "id"],
    "ix_hearings_judge_start": ["presiding_judge", "scheduled_start", "id"],
    "ix_hearings_status_start": ["status", "scheduled_start", "id"],
    "ix_hearings_visibility_start": ["visibility", "scheduled_start", "id"],
}
RECORDING_INDEXES = {
    "ix_recordings_started_id": ["started_at", "id"],
    "ix_recordings_courtroom_started": ["courtroom_id", "started_at", "id"],
    "ix_recordings_hearing_started": ["hearing_id", "started_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.add_column(sa.Column("presiding_judge", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("actual_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("actual_end", sa.DateTime(timezone=True), nullable=True))
    for name, columns in HEARING_INDEXES.items():
        op.create_index(name, "hearings", columns)
    for name, columns in RECORDING_INDEXES.items():
        op.create_index(name, "recordings", columns)
    op.create_table(
        "case_parties",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_parties_case_id", "case_parties", ["case_id"])
    op.create_table(
        "transcript_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speaker_role", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_transcript_lines_recording_at", "transcript_lines", ["recording_id", "at", "id"]
    )
    op.create_table(
        "transcript_revisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker_role", sa.String(length=64), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["transcript_lines.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_transcript_revisions_line_edited", "transcript_revisions", ["line_id", "edited_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search_indexes()
    else:
        _sqlite_search_index()


def _postgresql_search_indexes() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _kind, table, column in SEARCHED:
        op.execute(
            f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)"
        )
    # prefix search on case numbers whatever the database's collation
    op.execute("CREATE INDEX ix_cases_number_prefix ON cases (number varchar_pattern_ops)")


def _sqlite_search_index() -> None:
    op.execute(
        "CREATE TABLE search_documents ("
        " id INTEGER PRIMARY KEY, kind VARCHAR(16) NOT NULL, ref_id VARCHAR(32) NOT NULL,"
        " text TEXT NOT NULL, UNIQUE (kind, ref_id))"
    )
    # External content on an INTEGER PRIMARY KEY: rowids that VACUUM never renumbers.
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "text, content='search_documents', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN"
        " INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN"
        " INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        " END"
    )
    op.execute(
        "CREATE TRIGGER search_documents_au AFTER UPDATE OF text ON search_documents BEGIN"
        " INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        " INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    sqlite_search_triggers()
    for kind, table, column in SEARCHED:
        op.execute(
            f"INSERT INTO search_documents (kind, ref_id, text)"
            f" SELECT '{kind}', id, {column} FROM {table}"
        )


def sqlite_search_triggers() -> None:
    """Mirror every searched text column into search_documents (and so into search_fts)."""
    for kind, table, column in SEARCHED:
        op.execute(
            f"CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} BEGIN"
            f" INSERT INTO search_documents (kind, ref_id, text)"
            f" VALUES ('{kind}', new.id, new.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_au AFTER UPDATE OF {column} ON {table} BEGIN"
            f" UPDATE search_documents SET text = new.{column}"
            f" WHERE kind = '{kind}' AND ref_id = old.id; END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} BEGIN"
            f" DELETE FROM search_documents WHERE kind = '{kind}' AND ref_id = old.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_cases_number_prefix")
        for _kind, table, column in SEARCHED:
            op.execute(f"DROP INDEX ix_{table}_{column}_trgm")
    else:
        for _kind, table, _column in SEARCHED:
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER {table}_search_{suffix}")
        op.execute("DROP TABLE search_fts")
        op.execute("DROP TABLE search_documents")
    op.drop_table("transcript_revisions")
    op.drop_table("transcript_lines")
    op.drop_table("case_parties")
    for name in RECORDING_INDEXES:
        op.drop_index(name, table_name="recordings")
    for name in HEARING_INDEXES:
        op.drop_index(name, table_name="hearings")
    with op.batch_alter_table("hearings") as batch:
        batch.drop_column("actual_end")
        batch.drop_column("actual_start")
        batch.drop_column("presiding_judge")
