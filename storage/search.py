"""Finding hearings and recordings: filters, Chinese full text, keyset pagination.

Chinese has no spaces between words, so full text means "contains this substring" and
both databases index character trigrams: SQLite through FTS5 `trigram` tables, PostgreSQL
through pg_trgm GIN indexes that serve ILIKE. Free text `q` looks in one document per
hearing (`hearing_search`, migration 0008: case title, hearing title, markers and transcript
lines), joined to `hearings`, so the database can stop at the page limit instead of
collecting every matching line first; the party filter looks in party names and case titles
through the per-row indexes of 0005; case numbers compare as keys (storage/case_numbers.py).
Trigrams need three characters; shorter queries scan with LIKE.
Pages are ordered newest first, ties broken by id, and continue from an opaque cursor
so a row inserted meanwhile never shifts a page (offset is kept for simple clients).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    tuple_,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage import case_numbers
from storage.models import (
    Case,
    CaseParty,
    Hearing,
    HearingAssignment,
    Marker,
    Recording,
    TranscriptLine,
)

TRIGRAM = 3  # shortest query the trigram indexes can answer
BIGRAM = 2  # what the search documents also answer through an index (migration 0008)
HIGHEST_CHARACTER = "\U0010ffff"  # sorts after every character: the end of a prefix range

_documents = table("search_documents", column("id"), column("kind"), column("ref_id"))
_fts = table("search_fts", column("rowid"))
_hearing_search = table("hearing_search", column("id"), column("hearing_id"), column("text"))
_hearing_fts = table("hearing_search_fts", column("rowid"))
_hearing_terms = table("hearing_search_terms", column("term"))

Row = TypeVar("Row", Hearing, Recording)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search asks for; None means "any". Text filters are substrings."""

    case_id: str | None = None
    case_number: str | None = None  # any part of the number, however typed (case_numbers)
    party: str | None = None
    judge: str | None = None
    courtroom_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    visibility: str | None = None
    status: str | None = None
    q: str | None = None
    # Sealed hearings: all of them (admins), or only those assigned to this token.
    sealed_for_token: str | None = None
    all_sealed: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    items: list[Row]
    next: str | None  # the cursor of the following page; None on the last one


@dataclass(frozen=True, slots=True)
class _Source:
    """A text column indexed by migration 0005, and the id a match stands for."""

    kind: str  # its name in search_documents
    row_id: InstrumentedAttribute[str]
    owner: InstrumentedAttribute[str]
    text: InstrumentedAttribute[str]


PARTY_NAMES = _Source("party", CaseParty.id, CaseParty.case_id, CaseParty.name)
# a case titled 张三诉李四合同纠纷 names its parties even when none were entered
CASE_TITLES = _Source("case", Case.id, Case.id, Case.title)


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError on anything this module did not write."""
    try:
        at, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        when = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValueError("the cursor is not one this server returned") from exc
    if when.tzinfo is None or not row_id:
        raise ValueError("the cursor is not one this server returned")
    return when, row_id


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _containing(dialect: str, source: _Source, text: str) -> Select[str]:
    """Owner ids of the rows of `source` whose text contains `text`, through the index."""
    owners = select(source.owner)
    if dialect == "postgresql":
        return owners.where(source.text.ilike(_like_pattern(text), escape="\\"))
    if len(text) < TRIGRAM:
        return owners.where(source.text.like(_like_pattern(text), escape="\\"))
    phrase = '"' + text.replace('"', '""') + '"'
    matches = select(_fts.c.rowid).where(literal_column("search_fts").op("MATCH")(phrase))
    documents = select(_documents.c.ref_id).where(
        _documents.c.kind == source.kind, _documents.c.id.in_(matches)
    )
    return owners.where(source.row_id.in_(documents))


def _number_containing(typed: str) -> Select[str]:
    """Cases whose number contains `typed`, both spelled as keys (LIKE: the pg_trgm index of
    migration 0011 on PostgreSQL, a scan of one short column on SQLite)."""
    key = case_numbers.normalize(typed)
    return select(Case.id).where(Case.number_key.like(_like_pattern(key), escape="\\"))


def _hearing_conditions(dialect: str, filters: SearchFilters) -> list[ColumnElement[bool]]:
    """Filters on what a hearing is, shared by the hearing and the recording searches."""
    conditions: list[ColumnElement[bool]] = []
    if filters.case_id:
        conditions.append(Hearing.case_id == filters.case_id)
    if filters.case_number:
        conditions.append(Hearing.case_id.in_(_number_containing(filters.case_number)))
    if filters.party:
        conditions.append(
            or_(
                Hearing.case_id.in_(_containing(dialect, PARTY_NAMES, filters.party)),
                Hearing.case_id.in_(_containing(dialect, CASE_TITLES, filters.party)),
            )
        )
    if filters.judge:
        conditions.append(Hearing.presiding_judge == filters.judge)
    if filters.visibility:
        conditions.append(Hearing.visibility == filters.visibility)
    if not filters.all_sealed:
        conditions.append(visible_clause(filters.sealed_for_token))
    return conditions


def visible_clause(token_id: str | None) -> ColumnElement[bool]:
    """Hearings a non-admin caller may know of: every unsealed one, and sealed ones assigned."""
    assigned = select(HearingAssignment.hearing_id).where(HearingAssignment.token_id == token_id)
    return or_(Hearing.visibility != "sealed", Hearing.id.in_(assigned))


def _documents_containing(dialect: str, text: str) -> ColumnElement[bool]:
    """Hearings whose search document (migration 0008) contains `text`.

    Three characters or more: a trigram lookup. Two: PostgreSQL indexes the two-character
    pieces of each document; SQLite looks for the trigrams that begin with them (documents end
    with a newline, so every two characters are followed by a third). One: a scan.
    """
    documents = _hearing_search.c
    matching: ColumnElement[bool]
    if dialect == "postgresql":
        if len(text) == BIGRAM:  # exact: no ILIKE, which a generic plan would run on pg_trgm
            pieces = func.hearing_search_bigrams(documents.text)
            matching = pieces.op("@>")(array([func.lower(text)]))
        else:
            matching = documents.text.ilike(_like_pattern(text), escape="\\")
    elif len(text) < BIGRAM:
        matching = documents.text.like(_like_pattern(text), escape="\\")
    else:
        if len(text) == BIGRAM:
            terms = _hearing_terms.c.term
            quoted = literal('"') + func.replace(terms, '"', '""') + literal('"')
            phrase: ColumnElement[str] = func.coalesce(
                select(func.group_concat(quoted, " OR "))
                .where(terms >= text.lower(), terms < text.lower() + HIGHEST_CHARACTER)
                .scalar_subquery(),
                '""',  # no such trigram: an empty phrase, which matches nothing
            )
        else:
            phrase = literal('"' + text.replace('"', '""') + '"')
        matching = documents.id.in_(
            select(_hearing_fts.c.rowid).where(
                literal_column("hearing_search_fts").op("MATCH")(phrase)
            )
        )
    return Hearing.id.in_(select(documents.hearing_id).where(matching))


def _contains(
    dialect: str, text_column: InstrumentedAttribute[str], text: str
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return text_column.ilike(_like_pattern(text), escape="\\")
    return text_column.like(_like_pattern(text), escape="\\")


def _recording_says(dialect: str, text: str) -> ColumnElement[bool]:
    """This recording's hearing's titles, or its own markers or transcript, contain `text`.

    Checked row by row on the few recordings of hearings whose document matched.
    """
    case_title = select(Case.id).where(
        Case.id == Hearing.case_id, _contains(dialect, Case.title, text)
    )
    marker = select(Marker.id).where(
        Marker.recording_id == Recording.id, _contains(dialect, Marker.text, text)
    )
    line = select(TranscriptLine.id).where(
        TranscriptLine.recording_id == Recording.id,
        _contains(dialect, TranscriptLine.text, text),
    )
    return or_(
        _contains(dialect, Hearing.title, text),
        case_title.exists(),
        marker.exists(),
        line.exists(),
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _own_conditions(
    filters: SearchFilters,
    courtroom: InstrumentedAttribute[str],
    status: InstrumentedAttribute[str],
    start: InstrumentedAttribute[datetime],
) -> list[ColumnElement[bool]]:
    """Courtroom, status and dates: columns a hearing and a recording each have their own of."""
    conditions: list[ColumnElement[bool]] = []
    if filters.courtroom_id:
        conditions.append(courtroom == filters.courtroom_id)
    if filters.status:
        conditions.append(status == filters.status)
    if filters.date_from:
        conditions.append(start >= filters.date_from)
    if filters.date_to:
        conditions.append(start <= filters.date_to)
    return conditions


async def search_hearings(
    session: AsyncSession,
    *,
    filters: SearchFilters,
    limit: int,
    cursor: str | None = None,
    offset: int = 0,
) -> Page[Hearing]:
    """Hearings by scheduled start, newest first. Raises ValueError on a bad cursor."""
    dialect = _dialect(session)
    conditions = _hearing_conditions(dialect, filters) + _own_conditions(
        filters, Hearing.courtroom_id, Hearing.status, Hearing.scheduled_start
    )
    if filters.q:
        conditions.append(_documents_containing(dialect, filters.q))
    query = select(Hearing).where(*conditions)
    return await _page(session, query, (Hearing.scheduled_start, Hearing.id), limit, cursor, offset)


async def search_recordings(
    session: AsyncSession,
    *,
    filters: SearchFilters,
    limit: int,
    cursor: str | None = None,
    offset: int = 0,
) -> Page[Recording]:
    """Recordings by start time, newest first; `status` is the recording's own status."""
    dialect = _dialect(session)
    conditions = _hearing_conditions(dialect, filters) + _own_conditions(
        filters, Recording.courtroom_id, Recording.status, Recording.started_at
    )
    if filters.q:
        # a hearing's document holds the text of all its recordings: keep those that say it
        conditions += [
            _documents_containing(dialect, filters.q),
            _recording_says(dialect, filters.q),
        ]
    query = select(Recording).join(Hearing, Hearing.id == Recording.hearing_id).where(*conditions)
    return await _page(session, query, (Recording.started_at, Recording.id), limit, cursor, offset)


async def _page(
    session: AsyncSession,
    query: Select[Row],
    order: tuple[InstrumentedAttribute[datetime], InstrumentedAttribute[str]],
    limit: int,
    cursor: str | None,
    offset: int,
) -> Page[Row]:
    at, row_id = order
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(tuple_(at, row_id) < tuple_(after_at, after_id))
    elif offset:
        query = query.offset(offset)
    rows: Sequence[Row] = (
        await session.scalars(query.order_by(at.desc(), row_id.desc()).limit(limit + 1))
    ).all()
    if len(rows) <= limit:
        return Page(list(rows), None)
    last = rows[limit - 1]
    return Page(list(rows[:limit]), encode_cursor(getattr(last, at.key), last.id))
