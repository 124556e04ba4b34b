"""The audit log's anchors: signed checkpoints in the object store and the head in manifests.

What someone holding the database can do to the log without the installation's secret,
and what someone holding the store can do to the checkpoints, each named by
`courtcast audit verify`. Run on the local directory and on RGW, where a deleted
checkpoint is a delete marker over a locked version and an altered one a new version.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.audit import KEYED, LEGACY, entry_fields, keyed_hash, plain_hash
from storage.audit_models import AuditEvent
from tests.integration.test_audit import audit_verify
from tests.support.fixtures_api import create_courtroom
from tests.support.server import RunningServer, running_server
from tests.support.tampering import run_sql, stored_objects

CHECKPOINT = re.compile(r"audit/checkpoints/\d{12}-\d{8}T\d{6}\.\d{6}Z\.json")
Hasher = Callable[[str, dict[str, Any]], str]


async def act(server: RunningServer, times: int) -> None:
    """Audited actions: each courtroom made is one entry."""
    async with server.client() as client:
        for _ in range(times):
            await create_courtroom(client, ["bench"])


async def rewrite(server: RunningServer, sequence: int, hasher: Hasher, chain: str) -> int:
    """Edit one entry and recompute every hash after it with `hasher`; the last sequence."""
    db = server.index()
    try:
        async with db.session() as session:
            events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)))
            previous = events[sequence - 2].hash if sequence > 1 else "0" * 64
            for event in events[sequence - 1 :]:
                if event.sequence == sequence:
                    event.details = {**event.details, "status": 299}
                event.previous_hash, event.chain = previous, chain
                event.hash = previous = hasher(previous, entry_fields(event))
            await session.commit()
            return events[-1].sequence
    finally:
        await db.close()


def ok(server: RunningServer) -> str:
    result = audit_verify(server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK audit log: "), result.stdout
    return result.stdout


def problems(server: RunningServer) -> list[str]:
    result = audit_verify(server)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout.splitlines()


async def test_an_untouched_log_verifies_and_a_truncated_tail_is_named(
    any_store_server: RunningServer,
) -> None:
    server = any_store_server
    await act(server, 5)
    server.stop()  # the shutdown checkpoint anchors the head
    report = ok(server)
    assert re.match(r"OK audit log: 5 entries, chain intact, 1 checkpoint \(newest at ", report)

    run_sql(server, "DELETE FROM audit_events WHERE sequence > 3")
    (line,) = problems(server)
    assert re.fullmatch(
        rf"TRUNCATED audit log: checkpoint {CHECKPOINT.pattern} signed 5 entries, "
        "the log ends at entry 3",
        line,
    ), line


@pytest.mark.parametrize(
    ("hasher", "chain", "broken"),
    [
        (plain_hash, KEYED, "were edited after they were written"),
        (
            lambda p, f: keyed_hash(b"a guessed key", p, f),
            KEYED,
            "were edited after they were written",
        ),
        (
            plain_hash,
            LEGACY,
            "are chained with plain SHA-256 after the keyed chain began "
            "(rewritten without the key)",
        ),
    ],
    ids=["plain-sha256", "hmac-other-key", "marked-legacy"],
)
async def test_a_rewritten_entry_with_every_later_hash_recomputed_is_named(
    any_store_server: RunningServer, hasher: Hasher, chain: str, broken: str
) -> None:
    server = any_store_server
    await act(server, 6)
    server.stop()
    ok(server)
    last = await rewrite(server, 3, hasher, chain)
    lines = problems(server)
    assert lines[0] == f"BROKEN entries 3-{last}: {broken}"
    assert re.fullmatch(
        rf"REWRITTEN audit log up to entry 6: checkpoint {CHECKPOINT.pattern} signed head "
        r"[0-9a-f]{16}…, the log holds [0-9a-f]{16}…",
        lines[1],
    ), lines
    assert len(lines) == 2, lines


async def test_deleting_or_altering_a_checkpoint_in_the_store_is_named(
    any_store_server: RunningServer,
) -> None:
    server = any_store_server
    await act(server, 2)
    server.stop()
    server.start()
    await act(server, 2)
    server.stop()
    report = ok(server)
    assert ", 2 checkpoints (newest at " in report
    with stored_objects(server) as objects:
        older, newest = [key for key in objects.keys(".json") if CHECKPOINT.fullmatch(key)]
        objects.delete(newest)
        (line,) = problems(server)
        if "COURTCAST_S3_ENDPOINT" in server.env:  # the locked version outlives the marker
            assert line == (
                f"DELETED checkpoint {newest}: a delete marker hides it "
                "(the recorded version is still in the store)"
            )
        else:
            assert re.fullmatch(
                rf"MISSING checkpoint {newest}: the index recorded it \(4 entries, .*\), "
                "the store no longer has it",
                line,
            ), line

        envelope = json.loads(objects.read(older))
        envelope["document"]["entries"] = 1
        objects.write(older, json.dumps(envelope).encode())
        lines = problems(server)
    if "COURTCAST_S3_ENDPOINT" in server.env:  # the recorded version is still the one read
        assert (
            f"REPLACED checkpoint {older}: other bytes were laid on top of the recorded version"
            in lines
        ), lines
    else:
        assert f"ALTERED checkpoint {older}: its bytes are not those the index recorded" in lines
        assert (
            f"ALTERED checkpoint {older}: the signature does not match: the document was altered"
            in lines
        ), lines


async def test_a_checkpoint_whose_index_row_was_deleted_is_named_and_still_anchors(
    any_store_server: RunningServer,
) -> None:
    server = any_store_server
    await act(server, 4)
    server.stop()
    ok(server)
    (key,) = await stored_checkpoints(server)
    run_sql(server, "DELETE FROM audit_checkpoints")
    run_sql(server, "DELETE FROM audit_events WHERE sequence > 2")
    truncated, unindexed = problems(server)
    assert truncated == (
        f"TRUNCATED audit log: checkpoint {key} signed 4 entries, the log ends at entry 2"
    )
    assert re.fullmatch(
        rf"UNINDEXED checkpoint {key}: in the store \(4 entries, .*\) but not in the index",
        unindexed,
    ), unindexed


async def stored_checkpoints(server: RunningServer) -> list[str]:
    with stored_objects(server) as objects:
        return [key for key in objects.keys(".json") if CHECKPOINT.fullmatch(key)]


async def test_checkpoints_are_written_on_the_interval_while_the_server_runs(
    tmp_path: Any,
) -> None:
    with running_server(
        tmp_path / "data", {"COURTCAST_AUDIT_CHECKPOINT_INTERVAL_S": "0.5"}
    ) as server:
        await act(server, 1)
        await wait_for_checkpoints(server, 1)
        await asyncio.sleep(1.5)  # the head did not move: no new checkpoint
        assert len(await stored_checkpoints(server)) == 1
        await act(server, 1)
        await wait_for_checkpoints(server, 2)
        assert ", 2 checkpoints (newest at " in ok(server)


async def wait_for_checkpoints(server: RunningServer, count: int) -> None:
    for _ in range(50):
        if len(await stored_checkpoints(server)) >= count:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} checkpoints after 10 s:\n{server.log_tail()}")


async def test_entries_from_before_the_keyed_chain_are_counted_and_the_chain_continues_them(
    server: RunningServer,
) -> None:
    """An installation upgraded with a plain SHA-256 log keeps it as the chain's start."""
    server.stop()  # migrated, nothing logged yet
    db = server.index()
    try:
        async with db.session() as session:
            previous = "0" * 64
            for sequence in (1, 2, 3):
                event = AuditEvent(
                    sequence=sequence,
                    at=datetime(2025, 3, 1, 9, sequence, tzinfo=UTC),
                    actor="admin",
                    role="admin",
                    action="create_case",
                    target="/api/v1/cases",
                    source="127.0.0.1",
                    details={},
                    previous_hash=previous,
                    chain=LEGACY,
                )
                event.hash = previous = plain_hash(previous, entry_fields(event))
                session.add(event)
            await session.commit()
    finally:
        await db.close()
    server.start()
    await act(server, 2)
    server.stop()
    report = ok(server)
    assert report.startswith("OK audit log: 5 entries, chain intact, 1 checkpoint"), report
    assert report.rstrip().endswith("; the first 3 are legacy entries chained with plain SHA-256")
