"""The index: courts, courtrooms, cases, hearings, recordings and their segments.

Times are stored as UTC and always come back timezone-aware, on SQLite as on
PostgreSQL, so nothing downstream has to guess.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from storage import case_numbers


def new_id() -> str:
    """Opaque string ids: never guessable from one another (sealed hearings)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, return aware UTC: SQLite keeps no zone, PostgreSQL does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the index; times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Court(Base):
    __tablename__ = "courts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Courtroom(Base):
    __tablename__ = "courtrooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    court_id: Mapped[str] = mapped_column(ForeignKey("courts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cameras: Mapped[list[Camera]] = relationship(
        back_populates="courtroom", order_by="Camera.position", lazy="selectin"
    )


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (UniqueConstraint("courtroom_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    courtroom_id: Mapped[str] = mapped_column(ForeignKey("courtrooms.id"))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # display names (migration 0012): pages show these; `name` stays in URLs and object keys
    label_zh: Mapped[str | None] = mapped_column(String(64), default=None)
    label_en: Mapped[str | None] = mapped_column(String(64), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="camera")  # or evidence (0021)

    courtroom: Mapped[Courtroom] = relationship(back_populates="cameras")


def _number_key(context: DefaultExecutionContext) -> str:
    """Every insert of a case gets its number's key, whoever writes it (ORM or Core)."""
    return case_numbers.normalize(context.get_current_parameters()["number"])


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    court_id: Mapped[str] = mapped_column(ForeignKey("courts.id"), index=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)  # as typed, for display
    # storage/case_numbers.py: what lookups and search compare (migration 0011)
    number_key: Mapped[str] = mapped_column(
        String(100), index=True, default=lambda context: _number_key(context)
    )
    title: Mapped[str] = mapped_column(Text)
    case_type: Mapped[str] = mapped_column(String(32), default="default")  # its retention class
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hearing(Base):
    """Search filters sort by scheduled_start then id, so each filter's index ends with both."""

    __tablename__ = "hearings"
    __table_args__ = (
        Index("ix_hearings_start_id", "scheduled_start", "id"),
        Index("ix_hearings_courtroom_start", "courtroom_id", "scheduled_start", "id"),
        Index("ix_hearings_judge_start", "presiding_judge", "scheduled_start", "id"),
        Index("ix_hearings_status_start", "status", "scheduled_start", "id"),
        Index("ix_hearings_visibility_start", "visibility", "scheduled_start", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    courtroom_id: Mapped[str] = mapped_column(ForeignKey("courtrooms.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    scheduled_start: Mapped[datetime] = mapped_column(index=True)
    visibility: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    presiding_judge: Mapped[str | None] = mapped_column(String(200), default=None)
    actual_start: Mapped[datetime | None] = mapped_column(default=None)
    actual_end: Mapped[datetime | None] = mapped_column(default=None)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_started_id", "started_at", "id"),
        Index("ix_recordings_courtroom_started", "courtroom_id", "started_at", "id"),
        Index("ix_recordings_hearing_started", "hearing_id", "started_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    hearing_id: Mapped[str] = mapped_column(ForeignKey("hearings.id"), index=True)
    courtroom_id: Mapped[str] = mapped_column(ForeignKey("courtrooms.id"), index=True)
    court_id: Mapped[str] = mapped_column(ForeignKey("courts.id"))
    status: Mapped[str] = mapped_column(String(16), default="recording", index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    started_by: Mapped[str | None] = mapped_column(String(200), default=None)
    manifest_key: Mapped[str | None] = mapped_column(String(512), default=None)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    manifest_version_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # fixed when the recording starts, so a later change of the settings never shortens it
    retention_class: Mapped[str | None] = mapped_column(String(32), default=None)
    retention_mode: Mapped[str | None] = mapped_column(String(16), default=None)
    retain_until: Mapped[datetime | None] = mapped_column(default=None)

    tracks: Mapped[list[Track]] = relationship(
        back_populates="recording", order_by="Track.camera", lazy="selectin"
    )


class Track(Base):
    """One camera of one recording: its video and audio share segments."""

    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("recording_id", "camera"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    camera: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recording: Mapped[Recording] = relationship(back_populates="tracks")


class InitSegment(Base):
    """The ftyp+moov that media segments of one epoch (one set of codec parameters) need."""

    __tablename__ = "init_segments"
    __table_args__ = (UniqueConstraint("track_id", "epoch"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"))
    epoch: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    codecs: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the object version the store confirmed (versioned buckets); None on other stores
    version_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # the node that indexed it and the lease fence it held then; None for spool recovery
    node_id: Mapped[str | None] = mapped_column(String(255), default=None)
    fence: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("track_id", "sequence"),
        Index("ix_segments_track_started", "track_id", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(512))
    extension: Mapped[str] = mapped_column(String(8), default="m4s")
    started_at: Mapped[datetime] = mapped_column()
    duration_s: Mapped[float] = mapped_column(Float)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    frames: Mapped[int] = mapped_column(Integer, default=0)
    discontinuity: Mapped[bool] = mapped_column(Boolean, default=False)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[str | None] = mapped_column(String(128), default=None)
    node_id: Mapped[str | None] = mapped_column(String(255), default=None)  # as InitSegment
    fence: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Marker(Base):
    __tablename__ = "markers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    """An API token; only the SHA-256 of its secret is kept. A `screen` token (a viewing point)
    has a `place` and the `visibilities` it may show; other roles have neither."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    courtroom_ids: Mapped[list[str]] = mapped_column(default=list)
    camera: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    place: Mapped[str | None] = mapped_column(String(32), default=None)
    visibilities: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class CaseParty(Base):
    """A party to a case and its role in it (原告, 被告, 第三人, plaintiff, defendant...)."""

    __tablename__ = "case_parties"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)


class TranscriptLine(Base):
    """One time-coded line of the court record (庭审记录), shown in sync with the video."""

    __tablename__ = "transcript_lines"
    __table_args__ = (Index("ix_transcript_lines_recording_at", "recording_id", "at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    at: Mapped[datetime] = mapped_column()
    speaker_role: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    staff_only: Mapped[bool] = mapped_column(Boolean, default=False)  # never on shown records


class TranscriptRevision(Base):
    """Every version a transcript line has had, the first one included: the record's history."""

    __tablename__ = "transcript_revisions"
    __table_args__ = (Index("ix_transcript_revisions_line_edited", "line_id", "edited_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    line_id: Mapped[str] = mapped_column(ForeignKey("transcript_lines.id"))
    text: Mapped[str] = mapped_column(Text)
    speaker_role: Mapped[str] = mapped_column(String(64))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_by: Mapped[str | None] = mapped_column(String(200), default=None)


class Broadcast(Base):
    """The live relay of a hearing: on or cut by the court, and how far behind live it runs.

    No row means on with no delay; the row survives restarts, so a cut feed stays cut.
    """

    __tablename__ = "broadcasts"

    hearing_id: Mapped[str] = mapped_column(ForeignKey("hearings.id"), primary_key=True)
    on: Mapped[bool] = mapped_column(Boolean, default=True)
    delay_s: Mapped[float] = mapped_column(Float, default=0.0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(200), default=None)


class AccessCode(Base):
    """A code a family member types to watch restricted hearings; only its hash is kept.

    It opens one hearing (`hearing_id`) or every restricted hearing of one case (`case_id`,
    a family following a prisoner's case through the sittings it comes up in): exactly one
    of the two is set. `hash_scheme` says how the hash is made: 'hmac-sha256' (keyed with
    the installation's secret; see court/live/access_codes.py) or 'sha256' (rows made before
    migration 0009, rewritten keyed the first time their code opens).
    """

    __tablename__ = "access_codes"
    __table_args__ = (
        UniqueConstraint("hearing_id", "code_hash"),
        UniqueConstraint("case_id", "code_hash", name="uq_access_codes_case_code"),
        CheckConstraint(
            "(hearing_id IS NULL) <> (case_id IS NULL)", name="ck_access_codes_one_scope"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    hearing_id: Mapped[str | None] = mapped_column(
        ForeignKey("hearings.id"), index=True, default=None
    )
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    label: Mapped[str] = mapped_column(String(200))
    code_hash: Mapped[str] = mapped_column(String(64))
    hash_scheme: Mapped[str] = mapped_column(
        String(16), default="hmac-sha256", server_default="sha256"
    )
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    max_viewers: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)

    def opens(self, hearing: Hearing) -> bool:
        """Whether the code is one of this hearing's, or of its case's."""
        return self.hearing_id == hearing.id or (
            self.case_id is not None and self.case_id == hearing.case_id
        )


class HearingAssignment(Base):
    """A judge, clerk or operator token assigned to a hearing (what a sealed hearing needs)."""

    __tablename__ = "hearing_assignments"

    hearing_id: Mapped[str] = mapped_column(ForeignKey("hearings.id"), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
