"""One search document per hearing: what free text `q` looks in, indexed by trigrams.

`q` used to look in five tables (case and hearing titles, markers, transcript lines), collect
every match and only then sort and page, so its cost grew with the number of matches. Now
`hearing_search` holds one row per hearing whose `text` is its case title, its title and the
markers and transcript lines of its recordings, one per line; a search joins it to `hearings`
and the database can stop at the page limit. The text is rebuilt by triggers whenever one of
its sources changes (any writer, bulk loads included, keeps it right):

- SQLite: row triggers, and an FTS5 `trigram` table `hearing_search_fts` with external content
  on `hearing_search` (its INTEGER PRIMARY KEY is the FTS rowid: VACUUM never renumbers it).
  Two-character queries (most Chinese names) look up the trigrams that begin with them in
  `hearing_search_terms` (fts5vocab); every part of a document ends with a newline, so every
  two characters are followed by a third.
- PostgreSQL: statement triggers with transition tables (a COPY of 20,000 rows rebuilds each
  hearing it touches once, not once per row), a pg_trgm GIN index on `text` that serves ILIKE,
  and a GIN index on the document's two-character pieces (`hearing_search_bigrams`).

As with 0005, the SQLite triggers belong to their tables: a later batch migration that
recreates cases, hearings, recordings, markers or transcript_lines must create them again
with `sqlite_hearing_search_triggers()`.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_text(h: str) -> str:
    """The document of hearing row `h`: case title, title, markers, transcript lines, each
    followed by a newline."""
    recorded = (
        "(SELECT group_concat(x.text, char(10)) FROM {table} x"
        f" JOIN recordings r ON r.id = x.recording_id WHERE r.hearing_id = {h}.id)"
    )
    case_title = f"(SELECT c.title FROM cases c WHERE c.id = {h}.case_id)"
    return f"coalesce({case_title}, '') || char(10) || {h}.title || char(10)" + "".join(
        f" || coalesce({recorded.format(table=table)} || char(10), '')"
        for table in ("markers", "transcript_lines")
    )


# --- SQLite ---------------------------------------------------------------------------------

SQLITE_TEXT = _sqlite_text("h")


def _sqlite_refresh(where: str) -> str:
    """Rebuild the documents of the hearings `where` selects (an upsert, so inserts too)."""
    return (
        f"INSERT INTO hearing_search (hearing_id, text) SELECT h.id, {SQLITE_TEXT}"
        f" FROM hearings h WHERE {where}"
        " ON CONFLICT (hearing_id) DO UPDATE SET text = excluded.text"
        " WHERE hearing_search.text IS NOT excluded.text;"
    )


def _of_recording(row: str) -> str:
    return f"h.id = (SELECT hearing_id FROM recordings WHERE id = {row}.recording_id)"


# (trigger name, event, what to run)
SQLITE_TRIGGERS = (
    ("hearings_hs_ai", "AFTER INSERT ON hearings", _sqlite_refresh("h.id = new.id")),
    (
        "hearings_hs_au",
        "AFTER UPDATE OF title, case_id ON hearings",
        _sqlite_refresh("h.id = new.id"),
    ),
    (
        "hearings_hs_ad",
        "AFTER DELETE ON hearings",
        "DELETE FROM hearing_search WHERE hearing_id = old.id;",
    ),
    ("cases_hs_au", "AFTER UPDATE OF title ON cases", _sqlite_refresh("h.case_id = new.id")),
    (
        "recordings_hs_au",
        "AFTER UPDATE OF hearing_id ON recordings",
        _sqlite_refresh("h.id IN (old.hearing_id, new.hearing_id)"),
    ),
    ("recordings_hs_ad", "AFTER DELETE ON recordings", _sqlite_refresh("h.id = old.hearing_id")),
    *(
        trigger
        for table in ("markers", "transcript_lines")
        for trigger in (
            (f"{table}_hs_ai", f"AFTER INSERT ON {table}", _sqlite_refresh(_of_recording("new"))),
            (
                f"{table}_hs_au",
                f"AFTER UPDATE OF text, recording_id ON {table}",
                _sqlite_refresh(_of_recording("old")) + _sqlite_refresh(_of_recording("new")),
            ),
            (f"{table}_hs_ad", f"AFTER DELETE ON {table}", _sqlite_refresh(_of_recording("old"))),
        )
    ),
)


def sqlite_hearing_search_triggers() -> None:
    for name, event, body in SQLITE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {body} END")


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE hearing_search ("
        " id INTEGER PRIMARY KEY, hearing_id VARCHAR(32) NOT NULL UNIQUE, text TEXT NOT NULL)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE hearing_search_fts USING fts5("
        "text, content='hearing_search', content_rowid='id', tokenize='trigram')"
    )
    # Its terms are the trigrams: a two-character query is one of those that begin with it
    # (every document ends with a newline, so every two characters are followed by a third).
    op.execute(
        "CREATE VIRTUAL TABLE hearing_search_terms USING fts5vocab(hearing_search_fts, 'row')"
    )
    op.execute(
        "CREATE TRIGGER hearing_search_ai AFTER INSERT ON hearing_search BEGIN"
        " INSERT INTO hearing_search_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER hearing_search_ad AFTER DELETE ON hearing_search BEGIN"
        " INSERT INTO hearing_search_fts(hearing_search_fts, rowid, text)"
        " VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER hearing_search_au AFTER UPDATE OF text ON hearing_search BEGIN"
        " INSERT INTO hearing_search_fts(hearing_search_fts, rowid, text)"
        " VALUES ('delete', old.id, old.text);"
        " INSERT INTO hearing_search_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        f"INSERT INTO hearing_search (hearing_id, text) SELECT h.id, {SQLITE_TEXT} FROM hearings h"
    )
    sqlite_hearing_search_triggers()


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql_documents(hearings: str) -> str:
    """(hearing_id, text) of the hearings `hearings` selects on `{h}.id`: one set-based query
    (hash joins), so a trigger after a COPY of 20,000 lines stays fast, stale statistics or not.
    """
    recorded = (
        "LEFT JOIN (SELECT r.hearing_id, string_agg(x.text, E'\\n' ORDER BY x.id) AS text"
        " FROM recordings r JOIN {table} x ON x.recording_id = r.id WHERE {where}"
        " GROUP BY r.hearing_id) {alias} ON {alias}.hearing_id = h.id"
    )
    return (
        "SELECT h.id, concat_ws(E'\\n', c.title, h.title, m.text, l.text) || E'\\n'"
        " FROM hearings h JOIN cases c ON c.id = h.case_id "
        + recorded.format(table="markers", where=hearings.format(h="r.hearing_id"), alias="m")
        + " "
        + recorded.format(
            table="transcript_lines", where=hearings.format(h="r.hearing_id"), alias="l"
        )
        + f" WHERE {hearings.format(h='h.id')}"
    )


# (table, event, transition tables, the hearing ids of the changed rows). Deleting a hearing
# deletes its document through the foreign key's ON DELETE CASCADE.
_BY_RECORDING = "SELECT r.hearing_id FROM recordings r JOIN {rows} x ON r.id = x.recording_id"
POSTGRESQL_TRIGGERS = (
    ("hearings", "INSERT", "new_rows", "SELECT id FROM new_rows"),
    ("hearings", "UPDATE", "new_rows", "SELECT id FROM new_rows"),
    (
        "cases",
        "UPDATE",
        "new_rows",
        "SELECT h.id FROM hearings h JOIN new_rows n ON h.case_id = n.id",
    ),
    (
        "recordings",
        "UPDATE",
        "both",
        "SELECT hearing_id FROM old_rows UNION SELECT hearing_id FROM new_rows",
    ),
    ("recordings", "DELETE", "old_rows", "SELECT hearing_id FROM old_rows"),
    *(
        (table, event, rows, ids)
        for table in ("markers", "transcript_lines")
        for event, rows, ids in (
            ("INSERT", "new_rows", _BY_RECORDING.format(rows="new_rows")),
            (
                "UPDATE",
                "both",
                _BY_RECORDING.format(rows="old_rows")
                + " UNION "
                + _BY_RECORDING.format(rows="new_rows"),
            ),
            ("DELETE", "old_rows", _BY_RECORDING.format(rows="old_rows")),
        )
    ),
)


def _postgresql_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE hearing_search ("
        " hearing_id VARCHAR(32) PRIMARY KEY REFERENCES hearings (id) ON DELETE CASCADE,"
        " text TEXT NOT NULL)"
    )
    op.execute(
        "CREATE FUNCTION hearing_search_refresh(ids text[]) RETURNS void LANGUAGE sql AS $$"
        " INSERT INTO hearing_search (hearing_id, text) "
        + _postgresql_documents("{h} = ANY(ids)")
        + " ON CONFLICT (hearing_id) DO UPDATE SET text = EXCLUDED.text"
        " WHERE hearing_search.text IS DISTINCT FROM EXCLUDED.text $$"
    )
    for table, event, rows, ids in POSTGRESQL_TRIGGERS:
        name = f"{table}_hs_{event.lower()}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" PERFORM hearing_search_refresh(ARRAY(SELECT DISTINCT id::text FROM ({ids}) AS s(id)"
            " WHERE id IS NOT NULL)); RETURN NULL; END $$"
        )
        referencing = {
            "new_rows": "NEW TABLE AS new_rows",
            "old_rows": "OLD TABLE AS old_rows",
            "both": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        }[rows]
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute("INSERT INTO hearing_search (hearing_id, text) " + _postgresql_documents("true"))
    op.execute(
        "CREATE INDEX ix_hearing_search_text_trgm ON hearing_search USING gin (text gin_trgm_ops)"
    )
    # pg_trgm cannot answer fewer than three characters: index the two-character pieces too
    op.execute(
        "CREATE FUNCTION hearing_search_bigrams(t text) RETURNS text[]"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$"
        " SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')"
        " FROM generate_series(1, char_length(t) - 1) AS i $$"
    )
    op.execute(
        "CREATE INDEX ix_hearing_search_bigrams ON hearing_search"
        " USING gin (hearing_search_bigrams(text))"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, event, _rows, _ids in POSTGRESQL_TRIGGERS:
            name = f"{table}_hs_{event.lower()}"
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP FUNCTION hearing_search_refresh(text[])")
        op.execute("DROP TABLE hearing_search")
        op.execute("DROP FUNCTION hearing_search_bigrams(text)")
    else:
        for name, _event, _body in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE hearing_search_terms")
        op.execute("DROP TABLE hearing_search_fts")
        op.execute("DROP TABLE hearing_search")
