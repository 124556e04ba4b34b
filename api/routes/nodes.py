"""The live nodes of this installation and the courtrooms each holds (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Admin, RuntimeDep
from api.schemas.nodes import NodeOut
from storage.leases import held_leases
from storage.nodes import live_nodes

router = APIRouter(prefix="/api/v1", tags=["nodes"])


@router.get("/nodes", response_model=list[NodeOut])
async def nodes(runtime: RuntimeDep, _: Admin) -> list[NodeOut]:
    held: dict[str, list[str]] = {}
    for lease in await held_leases(runtime.db):
        held.setdefault(lease.node_id, []).append(lease.courtroom_id)
    return [
        NodeOut(
            id=node.id,
            url=node.url,
            seen_at=node.seen_at,
            draining=node.draining,
            cameras=node.cameras,
            courtrooms=sorted(held.get(node.id, [])),
        )
        for node in await live_nodes(runtime.db)
    ]
