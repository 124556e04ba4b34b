"""Two processes appending to one audit log (two nodes, or `courtcast package` beside a server)
never claim the same sequence number: the chain stays dense and verifies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select

from storage.audit import AuditLog
from storage.audit_models import AuditEvent
from storage.db import Database
from tests.support.server import scratch_index_url

SECRET = bytes(range(32))
EACH = 150

APPENDER = textwrap.dedent(
    """
    import asyncio, sys
    from storage.audit import AuditLog
    from storage.db import Database

    async def main(url: str, count: int) -> None:
        db = Database(url)
        log = AuditLog.from_secret(bytes(range(32)))
        await db.ping()
        print("ready", flush=True)
        sys.stdin.readline()  # both processes start appending together
        for number in range(count):
            async with db.session() as session:
                await log.append(session, actor="node-b", role="admin", action="other",
                                 target=f"/b/{number}", source="127.0.0.1")
        await db.close()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


async def test_appends_from_two_processes_interleave_into_one_dense_chain(tmp_path: Path) -> None:
    url = scratch_index_url(tmp_path)
    db = Database(url)
    await db.migrate()
    log = AuditLog.from_secret(SECRET)
    other = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        APPENDER,
        url,
        str(EACH),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert other.stdin is not None and other.stdout is not None
    assert await other.stdout.readline() == b"ready\n"
    other.stdin.write(b"go\n")
    await other.stdin.drain()
    for number in range(EACH):
        async with db.session() as session:
            await log.append(
                session,
                actor="node-a",
                role="admin",
                action="other",
                target=f"/a/{number}",
                source="127.0.0.1",
            )
    _, errors = await other.communicate()
    assert other.returncode == 0, errors.decode()
    async with db.session() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)))

        async def in_order() -> AsyncIterator[AuditEvent]:
            for event in events:
                yield event

        report = await log.verify(in_order())
    await db.close()
    assert [e.sequence for e in events] == list(range(1, 2 * EACH + 1))
    assert {e.actor for e in events} == {"node-a", "node-b"}
    assert report.breaks == []
