"""The audit log: append-only, each entry hash-chained to all before it.

Who did what, when, from where: every control action and every archive
access. Editing or deleting a row breaks the chain at that row, which
`verify_chain` names; the index itself cannot be trusted to say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent

GENESIS = "0" * 64
_append_lock = asyncio.Lock()  # one writer per process keeps sequence numbers dense


def entry_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
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


async def append(
    session: AsyncSession,
    *,
    actor: str,
    role: str,
    action: str,
    target: str,
    source: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one entry and commit it."""
    async with _append_lock:
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
        )
        event.hash = entry_hash(event.previous_hash, _fields(event))
        session.add(event)
        await session.commit()
        return event


async def audit_head(session: AsyncSession) -> dict[str, Any]:
    """{"entries", "head"}: the chain as it stands, for a manifest or a checkpoint to anchor."""
    last = await session.scalar(select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1))
    return {"entries": last.sequence if last else 0, "head": last.hash if last else GENESIS}


@dataclass(frozen=True, slots=True)
class ChainBreak:
    sequence: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.sequence}: {self.problem}"


async def verify_chain(events: AsyncIterator[AuditEvent]) -> tuple[int, list[ChainBreak]]:
    """(entries read, every place where the stored log differs from what was appended)."""
    breaks: list[ChainBreak] = []
    entries = 0
    expected_sequence, previous = 1, GENESIS
    async for event in events:
        entries += 1
        if event.sequence != expected_sequence:
            missing = (
                f"{expected_sequence}"
                if event.sequence == expected_sequence + 1
                else (f"{expected_sequence}-{event.sequence - 1}")
            )
            breaks.append(ChainBreak(event.sequence, f"entries {missing} were removed before it"))
        elif event.previous_hash != previous:
            breaks.append(ChainBreak(event.sequence, "does not follow the entry before it"))
        if entry_hash(event.previous_hash, _fields(event)) != event.hash:
            breaks.append(ChainBreak(event.sequence, "was edited after it was written"))
        expected_sequence, previous = event.sequence + 1, event.hash
    return entries, breaks


async def stream_events(session: AsyncSession) -> AsyncIterator[AuditEvent]:
    """The whole log in order, without loading it all at once."""
    result = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.sequence))
    async for event in result:
        yield event
