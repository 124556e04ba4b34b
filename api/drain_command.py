"""`courtcast drain`: hand a node's courtrooms to the other nodes before it is stopped.

The node sees its `draining` flag within a second (court/leases.py), stores what it
recorded, releases each courtroom and hangs up its cameras and viewers, who reconnect to the
node that takes over. This command waits until the node holds nothing and every running
recording it held goes on at another node, then says where its courtrooms went.
"""

from __future__ import annotations

import asyncio
import sys
import time

from api.court_config import node_identity
from api.settings import Settings
from storage import leases, nodes
from storage.db import Database

POLL_S = 0.5


async def drain_node(settings: Settings, node_id: str | None, wait_s: float) -> int:
    node = node_id or node_identity(settings).id
    db = Database(settings.index_url)
    try:
        if not await nodes.set_draining(db, node):
            print(f"courtcast: no node {node!r} in this installation's index", file=sys.stderr)
            return 1
        deadline = time.monotonic() + wait_s
        held_before: set[str] = set()
        while True:  # until the node holds nothing, and its running recordings go on elsewhere
            held = await leases.held_leases(db)
            still = sorted(lease.courtroom_id for lease in held if lease.node_id == node)
            held_before.update(still)
            waiting = still or sorted(
                room for _, room in await leases.orphaned_recordings(db) if room in held_before
            )
            if not waiting:
                break
            if time.monotonic() > deadline:
                print(f"courtcast: {', '.join(waiting)} not handed over yet", file=sys.stderr)
                return 1
            await asyncio.sleep(POLL_S)
        moved = ", ".join(
            f"{lease.courtroom_id} -> {lease.node_id}"
            for lease in held
            if lease.courtroom_id in held_before
        )
        print(f"node {node} drained; its courtrooms are held now: {moved or 'none'}")
        return 0
    finally:
        await db.close()
