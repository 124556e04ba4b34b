"""Alarms for operators: the list of active ones, and a websocket of changes as they happen."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from api.auth import find_principal
from api.deps import RuntimeDep, Staff
from api.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["alarms"])
STAFF_ROLES = ("admin", "operator", "judge", "clerk")


@router.get("/alarms")
async def active_alarms(runtime: RuntimeDep, _: Staff) -> list[dict[str, Any]]:
    return [alarm.as_json() for alarm in runtime.alarms.active()]


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    """Alarm events as JSON messages. Browsers cannot set headers on a websocket, so the
    token may come as the `token` query parameter as well as a bearer header."""
    runtime: Runtime = websocket.app.state.runtime
    header = websocket.headers.get("authorization", "")
    secret = (
        header[7:]
        if header.lower().startswith("bearer ")
        else websocket.query_params.get("token", "")
    )
    async with runtime.db.session() as session:
        principal = await find_principal(
            session, secret=secret, admin_token=runtime.settings.admin_token
        )
    if principal is None or principal.role not in STAFF_ROLES:
        await websocket.close(
            code=status.WS_1008_POLICY_VIOLATION, reason="a staff token is required"
        )
        return
    await websocket.accept()
    try:
        async for event in runtime.alarms.listen():
            await websocket.send_json(event)
    except WebSocketDisconnect:
        return
