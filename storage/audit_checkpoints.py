"""Signed checkpoints of the audit chain's head, kept in the object store under retention.

The keyed chain stops someone holding the database from rewriting an entry, not from
deleting the newest ones: what is left still chains. A checkpoint is the installation's
signed statement "at T the log had N entries and its head was H", written when the head
moved (every minute) and at shutdown, to the object store under retention, and noted in the
index. `courtcast audit verify` holds the log against every checkpoint, and the index
against the store, so removed entries and a deleted checkpoint are both named. Each
checkpoint names the one before it, so deleting an older one breaks the next one's link.

A key is made per write (entry count and time) and never written over. Processes sharing
one PostgreSQL (worker processes, nodes) take turns at a round, so two never checkpoint the
same head side by side: each object is kept under retention for years. A round that failed
retries with the very same bytes and key, so a store that took the object while the
database refused its row gets no second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit_head, has_keyed_entries, legacy_entries
from storage.audit_models import AuditCheckpoint
from storage.db import Database
from storage.keyring import KeyRing
from storage.objects import (
    ObjectProtection,
    ObjectStore,
    ObjectStoreUnavailable,
    RetentionMode,
    StoredObject,
)

log = logging.getLogger(__name__)

PREFIX = "audit/checkpoints/"
FORMAT = "courtcast-audit-checkpoint/1"
SHUTDOWN_TIMEOUT_S = 15.0  # a store that does not answer must not hold the shutdown
ROUND_LOCK_KEY = 0x43686B7074  # "Chkpt": the PostgreSQL advisory lock of a checkpoint round


def checkpoint_key(entries: int, at: datetime) -> str:
    """Sorted by entry count, then time: `audit/checkpoints/000000000042-<UTC time>.json`."""
    return f"{PREFIX}{entries:012d}-{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}.json"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The signed document: what the chain was at `at`, and the checkpoint written before."""

    entries: int  # the sequence of the last entry
    head: str
    legacy: int  # entries chained with plain SHA-256, before the keyed chain
    at: datetime
    previous_key: str | None
    previous_sha256: str | None

    @property
    def key(self) -> str:
        return checkpoint_key(self.entries, self.at)

    def serialize(self) -> dict[str, Any]:
        previous = (
            {"key": self.previous_key, "sha256": self.previous_sha256}
            if self.previous_key is not None
            else None
        )
        return {
            "format": FORMAT,
            "entries": self.entries,
            "head": self.head,
            "legacy": self.legacy,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "previous": previous,
        }

    @classmethod
    def parse(cls, document: dict[str, Any]) -> Checkpoint:
        """The checkpoint in a signed document; ValueError naming what is wrong."""
        if document.get("format") != FORMAT:
            raise ValueError(f"not an audit checkpoint (format {document.get('format')!r})")
        try:
            entries, head, legacy = document["entries"], document["head"], document["legacy"]
            at = datetime.fromisoformat(document["at"])
            previous = document["previous"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"an audit checkpoint without a readable {exc}") from None
        if not (isinstance(entries, int) and isinstance(legacy, int) and isinstance(head, str)):
            raise ValueError("an audit checkpoint whose entries, legacy or head has the wrong type")
        if at.tzinfo is None:
            raise ValueError("an audit checkpoint whose time has no zone")
        if previous is not None and not (
            isinstance(previous, dict)
            and isinstance(previous.get("key"), str)
            and isinstance(previous.get("sha256"), str)
        ):
            raise ValueError("an audit checkpoint whose previous checkpoint is not {key, sha256}")
        return cls(
            entries=entries,
            head=head,
            legacy=legacy,
            at=at,
            previous_key=previous["key"] if previous else None,
            previous_sha256=previous["sha256"] if previous else None,
        )


@dataclass(slots=True)
class _Prepared:
    """A sealed checkpoint on its way: kept across failed rounds, so a retry is identical."""

    checkpoint: Checkpoint
    data: bytes
    key_id: str
    stored: StoredObject | None = None


class CheckpointWriter:
    """Writes a checkpoint when the head moved, every `interval_s`, and one at shutdown."""

    def __init__(
        self,
        *,
        db: Database,
        store: ObjectStore,
        keyring: KeyRing,
        interval_s: float,
        retention: timedelta,
        mode: RetentionMode,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._store = store
        self._keyring = keyring
        self._interval_s = interval_s
        self._retention = retention
        self._mode = mode
        self._clock = clock
        self._pending: _Prepared | None = None
        self._legacy: int | None = None  # fixed once the keyed chain has begun
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-checkpoints")

    async def close(self) -> None:
        """Stop the rounds, then write the head as it stands at shutdown."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await asyncio.wait_for(self._round(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.error("no audit checkpoint at shutdown: the store did not answer in time")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self._round()

    async def _round(self) -> None:
        """One attempt; a store or database that is down costs this round, never the server."""
        try:
            await self.write_if_moved()
        except ObjectStoreUnavailable as exc:
            log.warning(
                "audit checkpoint not written, retrying in %.0f s: %s", self._interval_s, exc
            )
        except Exception:
            log.exception("audit checkpoint not written, retrying in %.0f s", self._interval_s)

    async def write_if_moved(self) -> AuditCheckpoint | None:
        """Store and index a checkpoint of the head if none names it yet (a failed one first);
        None also when another process is at its own round."""
        written = None
        async with _round_of_one(self._db) as ours:
            while ours and (prepared := self._pending or await self._prepare()) is not None:
                self._pending = prepared
                written = await self._record(prepared)
                self._pending = None
        return written

    async def _prepare(self) -> _Prepared | None:
        async with self._db.session() as session:
            head = await audit_head(session)
            if head["entries"] == 0 or await _checkpointed(session, head["entries"], head["head"]):
                return None
            newest = await session.scalar(  # by entries: another node's clock may run behind
                select(AuditCheckpoint)
                .order_by(AuditCheckpoint.entries.desc(), AuditCheckpoint.at.desc())
                .limit(1)
            )
            legacy = self._legacy
            if legacy is None:
                legacy = await legacy_entries(session)
                if await has_keyed_entries(session):
                    self._legacy = legacy
        checkpoint = Checkpoint(
            entries=head["entries"],
            head=head["head"],
            legacy=legacy,
            at=self._clock(),
            previous_key=newest.object_key if newest else None,
            previous_sha256=newest.sha256 if newest else None,
        )
        data = self._keyring.seal(checkpoint.serialize())
        _, key_id = self._keyring.open_sealed(data)  # the key that signed, and a self-check
        return _Prepared(checkpoint, data, key_id)

    async def _record(self, prepared: _Prepared) -> AuditCheckpoint:
        checkpoint = prepared.checkpoint
        if prepared.stored is None:
            protection = ObjectProtection(
                retain_until=checkpoint.at + self._retention, mode=self._mode
            )
            prepared.stored = await self._store.put_bytes(
                checkpoint.key,
                prepared.data,
                content_type="application/json",
                protection=protection,
            )
        row = AuditCheckpoint(
            object_key=checkpoint.key,
            entries=checkpoint.entries,
            head=checkpoint.head,
            at=checkpoint.at,
            sha256=prepared.stored.sha256,
            version_id=prepared.stored.version_id,
            key_id=prepared.key_id,
        )
        async with self._db.session() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:  # an earlier commit went through but its answer was lost
                await session.rollback()
        return row


async def _checkpointed(session: AsyncSession, entries: int, head: str) -> bool:
    """Whether some checkpoint names this very head: not only the newest, since a log cut
    back below it has a head that only an older one, or none, names."""
    found = await session.scalar(
        select(AuditCheckpoint.object_key)
        .where(AuditCheckpoint.entries == entries, AuditCheckpoint.head == head)
        .limit(1)
    )
    return found is not None


@contextlib.asynccontextmanager
async def _round_of_one(db: Database) -> AsyncIterator[bool]:
    """Whether this process may hold a round now: on PostgreSQL, unless another process of
    the installation holds the round's advisory lock (released at the round's end, or with
    its connection should it die); an SQLite index has one process."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    async with db.engine.connect() as connection:
        key = {"key": ROUND_LOCK_KEY}
        ours = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key))
        try:
            yield ours
        finally:
            if ours:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
