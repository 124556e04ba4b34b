"""Where a free courtroom should go: the live node holding the fewest cameras.

A node's load is the cameras of the courtrooms it holds (as configured, so a courtroom counts
before its cameras connect); ties go to the node asking, so a lone node never redirects.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from storage.db import Database
from storage.leases import Lease
from storage.models import Camera
from storage.nodes import NodeRow


async def least_loaded(
    db: Database, candidates: list[NodeRow], held: list[Lease], *, prefer: str
) -> NodeRow | None:
    if not candidates:
        return None
    async with db.session() as session:
        rows = await session.execute(
            select(Camera.courtroom_id, func.count()).group_by(Camera.courtroom_id)
        )
        cameras: dict[str, int] = {courtroom_id: count for courtroom_id, count in rows}
    load: Counter[str] = Counter()
    for lease in held:
        load[lease.node_id] += max(1, cameras.get(lease.courtroom_id, 0))
    return min(candidates, key=lambda node: (load[node.id], node.id != prefer, node.id))
