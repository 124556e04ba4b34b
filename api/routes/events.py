"""Alarms for staff: the list of active ones, and a websocket of changes as they happen.

A caller hears of the alarms of the courtrooms its token may use, and of an alarm about a
hearing's feed only if it may see that hearing: a sealed hearing's alarms reach admins and
the tokens assigned to it, nobody else.

The websocket never takes its token from the URL (URLs end up in logs and histories). A
script may send `Authorization: Bearer <token>` with the handshake; a browser, which cannot,
sends `{"type": "auth", "token": "<token>"}` as its first message within AUTH_TIMEOUT_S.
The server answers `{"type": "authenticated"}`, then the active alarms and every change.
The token is looked up again every TOKEN_RECHECK_S: once it is revoked or expired, the socket
is closed with code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from api.deps import RuntimeDep, Staff
from api.settings import Settings
from court.monitoring.alarm_audience import audible_alarms, may_hear, staff_listener, token_alive
from court.principals import Principal, bearer_secret
from court.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["alarms"])
AUTH_TIMEOUT_S = 5.0
TOKEN_RECHECK_S = 0.5
AUTH_MESSAGE_MAX = 1024  # characters: a token is about 50
POLICY = status.WS_1008_POLICY_VIOLATION


@router.get("/alarms")
async def active_alarms(runtime: RuntimeDep, principal: Staff) -> list[dict[str, Any]]:
    alarms = [alarm.as_json() for alarm in runtime.alarms.active()]
    return await audible_alarms(runtime.db, principal, alarms)


async def _first_message_secret(websocket: WebSocket) -> str | None:
    """The token of an `{"type": "auth", "token": ...}` first message, or None."""
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT_S)
    except TimeoutError:
        return None
    text = message.get("text")
    if not isinstance(text, str) or len(text) > AUTH_MESSAGE_MAX:
        return None  # a disconnect, a binary frame, or more than a token needs
    try:
        auth = json.loads(text)
    except ValueError:
        return None
    if not isinstance(auth, dict) or auth.get("type") != "auth":
        return None
    secret = auth.get("token")
    return secret if isinstance(secret, str) and secret else None


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    """Alarm events as JSON messages, for a staff token (see the module's docstring)."""
    runtime: Runtime = websocket.app.state.runtime
    settings: Settings = websocket.app.state.settings
    admin_token = settings.admin_token
    header = bearer_secret(websocket.headers.get("authorization"))
    if header is None:
        await websocket.accept()
        secret = await _first_message_secret(websocket)
        principal = await staff_listener(runtime.db, secret, admin_token=admin_token)
    else:
        principal = await staff_listener(runtime.db, header, admin_token=admin_token)
        if principal is not None:
            await websocket.accept()
    if principal is None:
        await _close(websocket, "a staff token is required")
        return
    await websocket.send_json({"type": "authenticated"})
    await _serve(websocket, runtime, principal)


async def _close(websocket: WebSocket, reason: str) -> None:
    """Close with 1008 (before or after accepting), unless the client already left."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code=POLICY, reason=reason)


async def _serve(websocket: WebSocket, runtime: Runtime, principal: Principal) -> None:
    """Forward the alarms this caller may hear of until it leaves or its token dies."""

    async def forward() -> None:
        async for event in runtime.alarms.listen():
            if await may_hear(runtime.db, principal, event["alarm"]):
                await websocket.send_json(event)

    async def until_gone() -> None:  # nothing is expected from the client: read to see it leave
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def until_revoked(token_id: str) -> None:
        while await token_alive(runtime.db, token_id):
            await asyncio.sleep(TOKEN_RECHECK_S)

    jobs: list[Awaitable[None]] = [forward(), until_gone()]
    if principal.token_id is not None:  # the installation's admin token cannot be revoked
        jobs.append(until_revoked(principal.token_id))
    tasks = [asyncio.ensure_future(job) for job in jobs]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # collects the closed socket's errors
    if len(tasks) == 3 and tasks[2] in done:
        await _close(websocket, "the token was revoked or has expired")
