"""Audit checkpoints: written when the head moved, retried after an outage, checked both ways."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from storage.audit import AuditLog
from storage.audit_checkpoint_check import CheckpointFindings, check_checkpoints
from storage.audit_checkpoints import PREFIX, Checkpoint, CheckpointWriter, checkpoint_key
from storage.audit_models import AuditCheckpoint, AuditEvent
from storage.db import Database
from storage.keyring import KeyRing
from storage.local import LocalObjectStore
from storage.objects import ObjectProtection, ObjectStoreUnavailable, StoredObject
from tests.conftest import ON_POSTGRES
from tests.support.server import scratch_index_url

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class FlakyStore(LocalObjectStore):
    """The local store, with an outage switch and a record of what each put asked for."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.down = False
        self.puts: list[tuple[str, ObjectProtection | None]] = []

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        if self.down:
            raise ObjectStoreUnavailable("the store is down")
        self.puts.append((key, protection))
        return await super().put_bytes(key, data, content_type=content_type, protection=protection)


@dataclass
class Installation:
    db: Database
    store: FlakyStore
    keyring: KeyRing
    audit: AuditLog
    writer: CheckpointWriter
    root: Path

    async def append(self, count: int = 1) -> None:
        for _ in range(count):
            async with self.db.session() as session:
                await self.audit.append(
                    session, actor="admin", role="admin", action="a", target="/t", source=""
                )

    async def check(self) -> CheckpointFindings:
        async with self.db.session() as session:
            return await check_checkpoints(session, self.store, self.keyring.public_keys)

    async def rows(self) -> list[AuditCheckpoint]:
        async with self.db.session() as session:
            return list(await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.at)))

    def path(self, key: str) -> Path:
        return self.root / key


@pytest.fixture
async def installation(tmp_path: Path) -> AsyncIterator[Installation]:
    db = Database(scratch_index_url(tmp_path))
    await db.migrate()
    store = FlakyStore(tmp_path / "objects")
    keyring = KeyRing.create(tmp_path / "keys")
    writer = writer_of(db, store, keyring)
    yield Installation(db, store, keyring, AuditLog(b"k" * 32), writer, tmp_path / "objects")
    await db.close()


def writer_of(
    db: Database,
    store: FlakyStore,
    keyring: KeyRing,
    clock: Clock | None = None,
    interval_s: float = 0.05,
) -> CheckpointWriter:
    """One process's checkpoint writer."""
    return CheckpointWriter(
        db=db,
        store=store,
        keyring=keyring,
        interval_s=interval_s,
        retention=timedelta(days=30),
        mode="GOVERNANCE",
        clock=clock or Clock(),
    )


def test_a_checkpoint_round_trips_and_refuses_what_is_not_one() -> None:
    checkpoint = Checkpoint(42, "ab" * 32, 3, T0, "audit/checkpoints/x.json", "cd" * 32)
    assert Checkpoint.parse(json.loads(json.dumps(checkpoint.serialize()))) == checkpoint
    assert checkpoint.key == "audit/checkpoints/000000000042-20270115T090000.000000Z.json"
    first = Checkpoint(1, "ab" * 32, 0, T0, None, None)
    assert Checkpoint.parse(first.serialize()) == first
    good = checkpoint.serialize()
    for broken, message in (
        ({**good, "format": "manifest"}, "not an audit checkpoint"),
        ({k: v for k, v in good.items() if k != "head"}, "without a readable 'head'"),
        ({**good, "entries": "42"}, "wrong type"),
        ({**good, "at": "2027-01-15T09:00:00"}, "no zone"),
        ({**good, "previous": {"key": "x"}}, "not {key, sha256}"),
    ):
        with pytest.raises(ValueError, match=message):
            Checkpoint.parse(broken)


async def test_a_checkpoint_is_written_only_when_the_head_moved(installation: Installation) -> None:
    writer = installation.writer
    assert await writer.write_if_moved() is None  # an empty log has nothing to anchor
    await installation.append(2)
    first = await writer.write_if_moved()
    assert first is not None and first.entries == 2
    assert await writer.write_if_moved() is None
    await installation.append()
    second = await writer.write_if_moved()
    assert second is not None and second.entries == 3

    data = installation.path(second.object_key).read_bytes()
    document, key_id = installation.keyring.open_sealed(data)
    signed = Checkpoint.parse(document)
    assert (signed.entries, signed.head, signed.legacy) == (3, second.head, 0)
    assert (signed.previous_key, signed.previous_sha256) == (first.object_key, first.sha256)
    assert second.key_id == key_id == installation.keyring.current_id
    assert second.object_key == checkpoint_key(3, signed.at) and second.object_key.startswith(
        PREFIX
    )
    key, protection = installation.store.puts[-1]
    assert key == second.object_key
    assert protection == ObjectProtection(retain_until=signed.at + timedelta(days=30))
    findings = await installation.check()
    assert findings.problems == [] and findings.count == 2
    assert findings.newest_at == signed.at


@pytest.mark.skipif(not ON_POSTGRES, reason="an SQLite index has one process")
async def test_processes_sharing_the_index_checkpoint_each_head_once(
    installation: Installation,
) -> None:
    other_process = Database(installation.db.url)  # a worker process of its own: its own pool
    other_writer = writer_of(
        other_process, installation.store, installation.keyring, Clock(T0 + timedelta(seconds=1))
    )  # its own clock: its checkpoint of a head would be an object of its own
    try:
        for moved_by in (2, 1):
            await installation.append(moved_by)
            for _ in range(2):  # both at their round at once, twice
                await asyncio.gather(
                    installation.writer.write_if_moved(), other_writer.write_if_moved()
                )
    finally:
        await other_process.close()

    assert sorted(row.entries for row in await installation.rows()) == [2, 3]
    findings = await installation.check()
    assert findings.problems == [] and findings.count == 2


async def test_a_process_whose_clock_runs_behind_checkpoints_each_head_once(
    installation: Installation,
) -> None:
    ahead = writer_of(
        installation.db, installation.store, installation.keyring, Clock(T0 + timedelta(minutes=5))
    )
    behind = installation.writer  # its checkpoints are timed before the other's
    await installation.append(2)
    first = await ahead.write_if_moved()
    await installation.append()
    second = await behind.write_if_moved()
    assert first is not None and second is not None and second.at < first.at
    assert await ahead.write_if_moved() is None  # a checkpoint names this head, whatever its time
    assert await behind.write_if_moved() is None
    assert [row.entries for row in await installation.rows()] == [3, 2]
    findings = await installation.check()
    assert findings.problems == [] and findings.count == 2


async def test_a_log_cut_back_below_the_newest_checkpoint_is_checkpointed_once(
    installation: Installation,
) -> None:
    await installation.append(3)
    before = await installation.writer.write_if_moved()
    assert before is not None and before.entries == 3
    async with installation.db.session() as session:  # someone holding the database
        await session.execute(delete(AuditEvent).where(AuditEvent.sequence == 3))
        await session.commit()
    cut = await asyncio.wait_for(installation.writer.write_if_moved(), 10)
    assert cut is not None and cut.entries == 2
    signed = Checkpoint.parse(
        installation.keyring.open_sealed(installation.path(cut.object_key).read_bytes())[0]
    )
    assert (signed.previous_key, signed.previous_sha256) == (before.object_key, before.sha256)
    assert await installation.writer.write_if_moved() is None
    assert [row.entries for row in await installation.rows()] == [3, 2]


async def test_a_store_outage_costs_rounds_and_the_retry_writes_the_same_checkpoint(
    installation: Installation,
) -> None:
    await installation.append(2)
    installation.store.down = True
    with pytest.raises(ObjectStoreUnavailable):
        await installation.writer.write_if_moved()
    installation.writer.start()
    await asyncio.sleep(0.3)  # a few rounds fail, quietly
    await installation.append()  # the head moves on during the outage
    installation.store.down = False
    for _ in range(100):
        if len(await installation.rows()) == 2:
            break
        await asyncio.sleep(0.05)
    await installation.writer.close()
    first, second = await installation.rows()
    assert (first.entries, second.entries) == (2, 3)
    assert first.at < second.at
    assert first.at == T0 + timedelta(minutes=1)  # the one prepared before the outage
    assert (await installation.check()).problems == []


async def test_close_writes_the_head_at_shutdown(installation: Installation) -> None:
    writer = writer_of(  # no round of its own comes before the shutdown's
        installation.db, installation.store, installation.keyring, interval_s=3600
    )
    writer.start()
    await installation.append(4)
    await writer.close()
    (row,) = await installation.rows()
    assert row.entries == 4


async def test_close_gives_up_on_a_store_that_is_down(installation: Installation) -> None:
    await installation.append()
    installation.store.down = True
    await installation.writer.close()  # logged, not raised
    assert await installation.rows() == []


@pytest.fixture
async def three(installation: Installation) -> list[AuditCheckpoint]:
    """Three checkpoints of a growing log."""
    for _ in range(3):
        await installation.append(2)
        await installation.writer.write_if_moved()
    return await installation.rows()


async def test_the_newest_checkpoint_deleted_from_the_store_is_named(
    installation: Installation, three: list[AuditCheckpoint]
) -> None:
    newest = three[-1]
    installation.path(newest.object_key).unlink()
    findings = await installation.check()
    assert findings.problems == [
        f"MISSING checkpoint {newest.object_key}: the index recorded it (6 entries, "
        f"{newest.at.isoformat()}), the store no longer has it"
    ]
    assert findings.count == 2


async def test_a_checkpoint_whose_row_was_deleted_is_named_and_still_anchors(
    installation: Installation, three: list[AuditCheckpoint]
) -> None:
    newest = three[-1]
    async with installation.db.session() as session:
        await session.execute(
            delete(AuditCheckpoint).where(AuditCheckpoint.object_key == newest.object_key)
        )
        await session.commit()
    findings = await installation.check()
    assert findings.problems == [
        f"UNINDEXED checkpoint {newest.object_key}: in the store (6 entries, "
        f"{newest.at.isoformat()}) but not in the index"
    ]
    assert max(anchor.entries for anchor in findings.anchors) == 6


async def test_an_older_checkpoint_deleted_from_both_breaks_the_next_ones_link(
    installation: Installation, three: list[AuditCheckpoint]
) -> None:
    middle = three[1]
    installation.path(middle.object_key).unlink()
    async with installation.db.session() as session:
        await session.execute(
            delete(AuditCheckpoint).where(AuditCheckpoint.object_key == middle.object_key)
        )
        await session.commit()
    assert (await installation.check()).problems == [
        f"MISSING checkpoint {middle.object_key}: {three[2].object_key} names it as the one "
        "before it, neither the index nor the store has it"
    ]


async def test_an_altered_checkpoint_fails_its_signature(
    installation: Installation, three: list[AuditCheckpoint]
) -> None:
    newest = three[-1]
    path = installation.path(newest.object_key)
    envelope: dict[str, Any] = json.loads(path.read_bytes())
    envelope["document"]["entries"] = 4
    path.write_text(json.dumps(envelope))
    assert (await installation.check()).problems == [
        f"ALTERED checkpoint {newest.object_key}: its bytes are not those the index recorded",
        f"ALTERED checkpoint {newest.object_key}: the signature does not match: the document "
        "was altered",
    ]


async def test_an_older_checkpoint_copied_over_the_newest_is_named(
    installation: Installation, three: list[AuditCheckpoint]
) -> None:
    older, newest = three[0], three[-1]
    path = installation.path(newest.object_key)
    path.write_bytes(installation.path(older.object_key).read_bytes())
    problems = (await installation.check()).problems
    assert problems == [
        f"ALTERED checkpoint {newest.object_key}: its bytes are not those the index recorded",
        f"MOVED checkpoint {newest.object_key}: its signed contents belong at {older.object_key}",
        f"ALTERED checkpoint {newest.object_key}: the index says 6 entries with head "
        f"{newest.head[:16]}…, the signed checkpoint 2 with {older.head[:16]}…",
    ]
