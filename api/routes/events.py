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
from api.visibility import may_see
from court.principals import STAFF_ROLES, Principal, bearer_secret, find_principal, principals_by_id
from court.runtime import Runtime
from storage.models import Hearing

router = APIRouter(prefix="/api/v1", tags=["alarms"])
AUTH_TIMEOUT_S = 5.0
TOKEN_RECHECK_S = 0.5
AUTH_MESSAGE_MAX = 1024  # characters: a token is about 50
POLICY = status.WS_1008_POLICY_VIOLATION


@router.get("/alarms")
async def active_alarms(runtime: RuntimeDep, principal: Staff) -> list[dict[str, Any]]:
    alarms = [alarm.as_json() for alarm in runtime.alarms.active()]
    return [alarm for alarm in alarms if await may_hear(runtime, principal, alarm)]


async def may_hear(runtime: Runtime, principal: Principal, alarm: dict[str, Any]) -> bool:
    """Whether this caller may know of the alarm (its JSON form: what the board sends)."""
    courtroom_id = alarm.get("courtroom_id")
    if courtroom_id is not None and not principal.may_use_courtroom(courtroom_id):
        return False
    hearing_id = alarm.get("hearing_id")
    if hearing_id is None or principal.role == "admin":
        return True
    async with runtime.db.session() as session:  # fresh: a hearing may have been sealed since
        hearing = await session.get(Hearing, hearing_id)
        return hearing is not None and await may_see(session, principal, hearing)


async def token_alive(runtime: Runtime, token_id: str) -> bool:
    """One primary-key lookup: the token is neither revoked nor expired."""
    async with runtime.db.session() as session:
        return token_id in await principals_by_id(session, [token_id])


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


async def _staff(runtime: Runtime, secret: str | None) -> Principal | None:
    if secret is None:
        return None
    async with runtime.db.session() as session:
        principal = await find_principal(
            session, secret=secret, admin_token=runtime.settings.admin_token
        )
    return principal if principal is not None and principal.role in STAFF_ROLES else None


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    """Alarm events as JSON messages, for a staff token (see the module's docstring)."""
    runtime: Runtime = websocket.app.state.runtime
    header = bearer_secret(websocket.headers.get("authorization"))
    if header is None:
        await websocket.accept()
        principal = await _staff(runtime, await _first_message_secret(websocket))
    else:
        principal = await _staff(runtime, header)
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
            if await may_hear(runtime, principal, event["alarm"]):
                await websocket.send_json(event)

    async def until_gone() -> None:  # nothing is expected from the client: read to see it leave
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def until_revoked(token_id: str) -> None:
        while await token_alive(runtime, token_id):
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
