"""Prometheus metrics at /metrics, for admins only (court/monitoring/metrics.py says why)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import Admin, RuntimeDep
from court.monitoring.metrics import EXPOSITION_TYPE

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(runtime: RuntimeDep, _: Admin) -> PlainTextResponse:
    return PlainTextResponse(runtime.metrics.exposition(), media_type=EXPOSITION_TYPE)
