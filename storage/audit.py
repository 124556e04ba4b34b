"""The audit log: append-only, each entry chained to all before it with a key the index lacks.

Who did what, when, from where: every control action and every archive access. An entry's
hash is an HMAC-SHA256 over the previous entry's hash and the entry itself, keyed with a
subkey of the installation's secret (`secret.key`, never in the database). Someone holding
the database alone can edit or delete rows but cannot recompute the hashes after an edit,
so `AuditLog.verify` names each place the stored log differs from what was appended.
Removing the newest entries leaves a chain that still holds: the signed checkpoints
(`audit_checkpoints.py`) and the head each sealed manifest carries are the `Anchor`s that
catch that.

Entries written before the chain was keyed ("sha256", plain SHA-256 that anyone can
recompute) may only come first; a plain entry after a keyed one was rewritten without the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit_models import AuditEvent
from storage.evidence_verifier import CHAIN_START, canonical_json
from storage.keyring import derive_key

GENESIS = CHAIN_START
LEGACY, KEYED = "sha256", "hmac-sha256"
KEY_PURPOSE = "audit-log"
APPEND_LOCK_KEY = 0x436F757274  # "Court": the PostgreSQL advisory lock of the log's head
_append_lock = asyncio.Lock()  # one writer per process keeps sequence numbers dense


def entry_fields(event: AuditEvent) -> dict[str, Any]:
    """What an entry's hash covers: everything but the hashes themselves."""
    return {
        "sequence": event.sequence,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "target": event.target,
        "source": event.source,
        "details": event.details,
    }


def _message(previous_hash: str, fields: dict[str, Any]) -> bytes:
    return previous_hash.encode() + b"\n" + canonical_json(fields)


def plain_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """The legacy link: SHA-256 over the previous hash and the entry's canonical JSON."""
    return hashlib.sha256(_message(previous_hash, fields)).hexdigest()


def keyed_hash(key: bytes, previous_hash: str, fields: dict[str, Any]) -> str:
    """The link since the chain was keyed: the same message under HMAC-SHA256."""
    return hmac.new(key, _message(previous_hash, fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with an entry, worded for one entry and for a run of them."""

    one: str
    many: str


EDITED = Problem("was edited after it was written", "were edited after they were written")
UNLINKED = Problem("does not follow the entry before it", "do not follow the entries before them")
PLAIN_AFTER_KEYED = Problem(
    "is chained with plain SHA-256 after the keyed chain began (rewritten without the key)",
    "are chained with plain SHA-256 after the keyed chain began (rewritten without the key)",
)


def _removed(first: int, last: int) -> Problem:
    words = f"entry {first} was" if first == last else f"entries {first}-{last} were"
    return Problem(f"{words} removed before it", f"{words} removed before them")


def _unknown_chain(chain: str) -> Problem:
    return Problem(f"has an unknown chain kind {chain!r}", f"have an unknown chain kind {chain!r}")


@dataclass(slots=True)
class ChainBreak:
    """Consecutive entries with the same problem: one rewrite shows as one break."""

    first: int
    last: int
    problem: Problem

    def __str__(self) -> str:
        if self.first == self.last:
            return f"entry {self.first}: {self.problem.one}"
        return f"entries {self.first}-{self.last}: {self.problem.many}"


@dataclass(slots=True)
class ChainReport:
    """The stored log as read: its length, its plain prefix, its breaks, its anchored hashes."""

    entries: int = 0  # rows read
    legacy: int = 0  # plain SHA-256 entries before the keyed chain
    last_sequence: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict)  # stored hash at each anchored entry


class _Runs:
    """Gathers an entry's problems into the runs that the entry before it continues."""

    def __init__(self, breaks: list[ChainBreak]) -> None:
        self._breaks = breaks
        self._previous: dict[Problem, ChainBreak] = {}
        self._current: dict[Problem, ChainBreak] = {}

    def next_entry(self) -> None:
        self._previous, self._current = self._current, {}

    def note(self, sequence: int, problem: Problem) -> None:
        run = self._previous.get(problem)
        if run is not None and run.last == sequence - 1:
            run.last = sequence
        else:
            run = ChainBreak(sequence, sequence, problem)
            self._breaks.append(run)
        self._current[problem] = run


class AuditLog:
    """Appends to and checks the keyed chain; holds the key, so the index never does."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secret(cls, secret: bytes) -> AuditLog:
        """The installation's log: its key is a subkey of `secret.key`, for this use only."""
        return cls(derive_key(secret, KEY_PURPOSE))

    async def append(
        self,
        session: AsyncSession,
        *,
        actor: str,
        role: str,
        action: str,
        target: str,
        source: str,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Add one entry, chained with the key, and commit it.

        Appends are serialised: in this process by a lock, between processes (several nodes,
        `courtcast package` beside a server) by the database, so two entries never claim the
        same sequence number or the same previous hash."""
        async with _append_lock:
            await _lock_the_head(session)
            last = await session.scalar(
                select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)
            )
            event = AuditEvent(
                sequence=(last.sequence + 1) if last else 1,
                at=datetime.now(UTC),
                actor=actor,
                role=role,
                action=action,
                target=target,
                source=source,
                details=details or {},
                previous_hash=last.hash if last else GENESIS,
                chain=KEYED,
            )
            event.hash = keyed_hash(self._key, event.previous_hash, entry_fields(event))
            session.add(event)
            await session.commit()
            return event

    async def verify(
        self, events: AsyncIterator[AuditEvent], *, anchored: Collection[int] = ()
    ) -> ChainReport:
        """Read the log in order; note each break and the hashes at the `anchored` entries."""
        report = ChainReport()
        runs = _Runs(report.breaks)
        expected_sequence, previous, keyed_seen = 1, GENESIS, False
        async for event in events:
            runs.next_entry()
            report.entries += 1
            sequence = event.sequence
            if sequence != expected_sequence:
                runs.note(sequence, _removed(expected_sequence, sequence - 1))
            elif event.previous_hash != previous:
                runs.note(sequence, UNLINKED)
            fields = entry_fields(event)
            if event.chain == KEYED:
                keyed_seen = True
                expected = keyed_hash(self._key, event.previous_hash, fields)
                if not hmac.compare_digest(expected, event.hash):
                    runs.note(sequence, EDITED)
            elif event.chain == LEGACY and not keyed_seen:
                report.legacy += 1
                if plain_hash(event.previous_hash, fields) != event.hash:
                    runs.note(sequence, EDITED)
            elif event.chain == LEGACY:  # its plain hash proves nothing: anyone can make one
                runs.note(sequence, PLAIN_AFTER_KEYED)
            else:
                runs.note(sequence, _unknown_chain(event.chain))
            if sequence in anchored:
                report.hashes[sequence] = event.hash
            expected_sequence, previous = sequence + 1, event.hash
            report.last_sequence = sequence
        return report


@dataclass(frozen=True, slots=True)
class Anchor:
    """A signed statement of the chain's head at one moment: a checkpoint or a manifest."""

    source: str  # e.g. "checkpoint audit/checkpoints/...", "the manifest of recording ..."
    entries: int  # the sequence of the last entry then
    head: str
    legacy: int | None = None  # plain entries then, when the anchor says


def check_anchors(report: ChainReport, anchors: Iterable[Anchor]) -> list[str]:
    """One line per way the log contradicts what was signed: a tail removed, entries
    rewritten, entries turned plain. Each names its first witness and counts the others."""
    truncated: list[Anchor] = []
    rewritten: list[Anchor] = []
    plain: list[Anchor] = []
    for anchor in anchors:
        if anchor.entries > report.last_sequence:
            truncated.append(anchor)
        elif anchor.entries and report.hashes.get(anchor.entries) != anchor.head:
            rewritten.append(anchor)
        if anchor.legacy is not None and report.legacy > anchor.legacy:
            plain.append(anchor)
    lines = []
    if truncated:
        furthest = max(truncated, key=lambda a: a.entries)
        ends = f"ends at entry {report.last_sequence}" if report.last_sequence else "is empty"
        lines.append(
            f"TRUNCATED audit log: {furthest.source} signed {furthest.entries} entries, "
            f"the log {ends}{_others(truncated)}"
        )
    if rewritten:
        first = min(rewritten, key=lambda a: a.entries)
        held = report.hashes.get(first.entries)
        found = f"holds {held[:16]}…" if held else "no longer holds that entry"
        lines.append(
            f"REWRITTEN audit log up to entry {first.entries}: {first.source} signed head "
            f"{first.head[:16]}…, the log {found}{_others(rewritten)}"
        )
    if plain:
        fewest = min(plain, key=lambda a: a.legacy or 0)
        lines.append(
            f"REWRITTEN audit log: {report.legacy} entries are chained with plain SHA-256, "
            f"{fewest.source} signed that {fewest.legacy} were{_others(plain)}"
        )
    return lines


def _others(witnesses: list[Anchor]) -> str:
    more = len(witnesses) - 1
    return f" (and {more} more {'anchor says' if more == 1 else 'anchors say'} so)" if more else ""


async def audit_head(session: AsyncSession) -> dict[str, Any]:
    """{"entries", "head"}: the chain as it stands, for a manifest or a checkpoint to anchor."""
    last = await session.scalar(select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1))
    return {"entries": last.sequence if last else 0, "head": last.hash if last else GENESIS}


async def legacy_entries(session: AsyncSession) -> int:
    """How many entries are chained with plain SHA-256 (those from before the keyed chain)."""
    count = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == LEGACY)
    )
    return int(count or 0)


async def has_keyed_entries(session: AsyncSession) -> bool:
    first = await session.scalar(
        select(AuditEvent.sequence).where(AuditEvent.chain == KEYED).limit(1)
    )
    return first is not None


async def stream_events(session: AsyncSession) -> AsyncIterator[AuditEvent]:
    """The whole log in order, without loading it all at once."""
    result = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.sequence))
    async for event in result:
        yield event


async def _lock_the_head(session: AsyncSession) -> None:
    """Hold the log's head for this transaction: PostgreSQL's advisory lock, or SQLite's
    write lock (taken by a write that changes nothing), before the head is read."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    else:
        await session.execute(text("DELETE FROM audit_events WHERE 0"))
