"""The keyed audit chain: what it names when someone with the database rewrites it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.audit import (
    GENESIS,
    KEYED,
    LEGACY,
    Anchor,
    AuditLog,
    check_anchors,
    entry_fields,
    keyed_hash,
    plain_hash,
)
from storage.audit_models import AuditEvent
from storage.keyring import derive_key

SECRET = bytes(range(32))
KEY = derive_key(SECRET, "audit-log")
T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
Hasher = Callable[[str, dict[str, Any]], str]


def keyed(previous: str, fields: dict[str, Any]) -> str:
    return keyed_hash(KEY, previous, fields)


def log(count: int, *, legacy: int = 0) -> list[AuditEvent]:
    """`count` entries as the server appends them, the first `legacy` from before the key."""
    events: list[AuditEvent] = []
    for sequence in range(1, count + 1):
        event = AuditEvent(
            sequence=sequence,
            at=T0 + timedelta(seconds=sequence),
            actor="admin",
            role="admin",
            action="start_recording",
            target=f"/api/v1/hearings/{sequence}/recordings",
            source="127.0.0.1",
            details={"status": 201},
            previous_hash=events[-1].hash if events else GENESIS,
            chain=LEGACY if sequence <= legacy else KEYED,
        )
        hasher = plain_hash if sequence <= legacy else keyed
        event.hash = hasher(event.previous_hash, entry_fields(event))
        events.append(event)
    return events


def rechain(events: list[AuditEvent], start: int, hasher: Hasher, chain: str = KEYED) -> None:
    """What an attacker does after editing an entry: recompute every hash from it on."""
    for index in range(start - 1, len(events)):
        event = events[index]
        event.previous_hash = events[index - 1].hash if index else GENESIS
        event.chain = chain
        event.hash = hasher(event.previous_hash, entry_fields(event))


async def rows(events: list[AuditEvent]) -> AsyncIterator[AuditEvent]:
    for event in events:
        yield event


async def breaks(events: list[AuditEvent]) -> list[str]:
    report = await AuditLog(KEY).verify(rows(events))
    return [str(found) for found in report.breaks]


async def test_an_untouched_log_has_no_breaks_and_counts_its_plain_prefix() -> None:
    events = log(8, legacy=3)
    report = await AuditLog.from_secret(SECRET).verify(rows(events), anchored={2, 8})
    assert report.breaks == []
    assert (report.entries, report.legacy, report.last_sequence) == (8, 3, 8)
    assert report.hashes == {2: events[1].hash, 8: events[7].hash}


async def test_an_edit_without_recomputing_names_the_entry_alone() -> None:
    events = log(6)
    events[2].actor = "nobody"
    assert await breaks(events) == ["entry 3: was edited after it was written"]


@pytest.mark.parametrize(
    "hasher",
    [plain_hash, lambda previous, fields: keyed_hash(b"a guessed key", previous, fields)],
    ids=["plain sha256", "hmac with another key"],
)
async def test_an_edit_with_every_later_hash_recomputed_is_named_from_that_entry(
    hasher: Hasher,
) -> None:
    events = log(10)
    events[3].actor = "nobody"
    rechain(events, 4, hasher)
    assert await breaks(events) == ["entries 4-10: were edited after they were written"]


async def test_entries_rewritten_as_plain_sha256_after_the_keyed_chain_are_named() -> None:
    events = log(10, legacy=2)
    events[5].details = {"status": 200}
    rechain(events, 6, plain_hash, chain=LEGACY)
    assert await breaks(events) == [
        "entries 6-10: are chained with plain SHA-256 after the keyed chain began "
        "(rewritten without the key)"
    ]


async def test_removed_entries_are_named_where_the_gap_is() -> None:
    events = log(10)
    del events[6]  # entry 7
    del events[2:4]  # entries 3 and 4
    assert await breaks(events) == [
        "entry 5: entries 3-4 were removed before it",
        "entry 8: entry 7 was removed before it",
    ]


async def test_a_changed_link_is_named_on_the_entry_that_no_longer_follows() -> None:
    events = log(5)
    events[1].hash = "f" * 64  # the stored hash of entry 2 replaced
    assert await breaks(events) == [
        "entry 2: was edited after it was written",
        "entry 3: does not follow the entry before it",
    ]


async def test_an_unknown_chain_kind_is_named() -> None:
    events = log(3)
    events[1].chain = "md5"
    assert await breaks(events) == ["entry 2: has an unknown chain kind 'md5'"]


async def test_anchors_name_a_truncated_tail_once_with_the_furthest_witness() -> None:
    events = log(10)
    report = await AuditLog(KEY).verify(rows(events[:6]), anchored={4, 8, 10})
    anchors = [
        Anchor("checkpoint A", 4, events[3].hash, 0),
        Anchor("checkpoint B", 8, events[7].hash, 0),
        Anchor("the manifest of recording R", 10, events[9].hash),
    ]
    assert check_anchors(report, anchors) == [
        "TRUNCATED audit log: the manifest of recording R signed 10 entries, the log ends "
        "at entry 6 (and 1 more anchor says so)"
    ]


async def test_an_emptied_log_is_truncated() -> None:
    events = log(2)
    report = await AuditLog(KEY).verify(rows([]))
    assert check_anchors(report, [Anchor("checkpoint A", 2, events[1].hash, 0)]) == [
        "TRUNCATED audit log: checkpoint A signed 2 entries, the log is empty"
    ]


async def test_anchors_name_a_rewrite_that_left_the_chain_consistent() -> None:
    """Someone who somehow chained correctly (the key leaked) still meets the anchors."""
    events = log(10)
    signed = [
        Anchor("checkpoint A", 3, events[2].hash, 0),
        Anchor("checkpoint B", 9, events[8].hash, 0),
    ]
    events[6].actor = "nobody"
    rechain(events, 7, keyed)
    report = await AuditLog(KEY).verify(rows(events), anchored={3, 9})
    assert report.breaks == []
    assert check_anchors(report, signed) == [
        f"REWRITTEN audit log up to entry 9: checkpoint B signed head {signed[1].head[:16]}…, "
        f"the log holds {events[8].hash[:16]}…"
    ]


async def test_anchors_name_a_log_turned_plain_whole() -> None:
    """Rewriting every entry as plain SHA-256 leaves no keyed entry to stand out."""
    events = log(6, legacy=2)
    signed = Anchor("checkpoint A", 6, events[5].hash, 2)
    events[0].actor = "nobody"
    rechain(events, 1, plain_hash, chain=LEGACY)
    report = await AuditLog(KEY).verify(rows(events), anchored={6})
    assert report.breaks == [] and report.legacy == 6
    assert check_anchors(report, [signed]) == [
        f"REWRITTEN audit log up to entry 6: checkpoint A signed head {signed.head[:16]}…, "
        f"the log holds {events[5].hash[:16]}…",
        "REWRITTEN audit log: 6 entries are chained with plain SHA-256, checkpoint A signed "
        "that 2 were",
    ]


async def test_an_anchored_entry_removed_from_the_middle_is_named() -> None:
    events = log(6)
    signed = Anchor("checkpoint A", 4, events[3].hash, 0)
    del events[3]
    report = await AuditLog(KEY).verify(rows(events), anchored={4})
    assert check_anchors(report, [signed]) == [
        f"REWRITTEN audit log up to entry 4: checkpoint A signed head {signed.head[:16]}…, "
        "the log no longer holds that entry"
    ]
