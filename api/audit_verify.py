"""`courtcast audit verify`: checks the audit log against its chain and its checkpoints."""

from __future__ import annotations

from api.settings import Settings
from storage.audit import stream_events, verify_chain
from storage.db import Database


async def verify_audit_log(settings: Settings) -> int:
    """0 when the audit log is exactly as appended, 1 naming each edited or removed entry."""
    db = Database(settings.index_url)
    try:
        async with db.session() as session:
            count, breaks = await verify_chain(stream_events(session))
    finally:
        await db.close()
    for found in breaks:
        print(f"BROKEN {found}")
    if breaks:
        return 1
    print(f"OK audit log: {count} entries, chain intact")
    return 0
