"""Liveness for load balancers and monitoring: the service, its index and its object store.

No token is needed, so nothing here counts publishers, recordings or uploads: a count that
moves tells anyone that a hearing, perhaps a sealed one, is being recorded. Admins read those
figures in /metrics.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, probe in (("database", runtime.db.ping), ("object_store", runtime.store.ping)):
        try:
            await asyncio.wait_for(probe(), timeout=5)
            checks[name] = "ok"
        except Exception as error:  # a health check reports every failure, whatever its type
            checks[name] = f"error: {type(error).__name__}: {error}"[:300]
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return JSONResponse(body, status_code=200 if healthy else 503)
