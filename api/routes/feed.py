"""A camera's encoded frames for another Courtcast process's mirror (court/live/mirrors.py).

Internal: only a process holding the installation's key can ask (a signed claim in a header),
for a hearing whose public may watch that camera now, judged here where the courtroom is held
by the same rule as a public WHEP viewer (a sealed hearing, one not in session, a cut feed, a
camera while the court shows a program: all refused); anyone else is refused before the
websocket opens, with nothing read from them. The feed is then one public viewer here, hung up
by the live guard and the kill switch like the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, WebSocket, status
from starlette.websockets import WebSocketState

from court.errors import CourtError
from court.live.mirrors import FEED_HEADER, FEED_PATH, feed_claimant
from court.live.viewer_access import (
    judge_viewer,
    require_camera,
    require_program_or_camera,
    visible_hearing,
)
from court.program import PROGRAM
from court.runtime import Runtime
from streaming.mirror import REFUSED

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.websocket(FEED_PATH)
async def feed(websocket: WebSocket, hearing_id: str, camera: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    admitted_at = runtime.viewers.public_mark(hearing_id)  # before judging (court/live/viewers)
    claim = websocket.headers.get(FEED_HEADER)
    courtroom_id = None
    if feed_claimant(runtime.signer, claim, hearing_id, camera) is not None:
        courtroom_id = await _public_may_watch(runtime, hearing_id, camera)
    if courtroom_id is None or not runtime.leases.holds(courtroom_id):
        await websocket.close(status.WS_1008_POLICY_VIOLATION)  # refused: never accepted
        return
    await websocket.accept()
    refused = await runtime.mirrors.serve(
        hearing_id, courtroom_id, camera, websocket.send_bytes, _binary(websocket), admitted_at
    )
    if refused and websocket.client_state == WebSocketState.CONNECTED:
        await websocket.close(REFUSED)  # the mirror hangs up its viewers too


async def _public_may_watch(runtime: Runtime, hearing_id: str, camera: str) -> str | None:
    """The hearing's courtroom if its public may watch `camera` now, else None."""
    async with runtime.db.session() as session:
        try:
            hearing = await visible_hearing(session, hearing_id)
            access = await judge_viewer(session, runtime, hearing, None)
            if camera != PROGRAM:
                await require_camera(session, hearing, camera)
        except CourtError:
            return None
    try:
        require_program_or_camera(runtime.program, access, camera)
    except CourtError:
        return None
    return hearing.courtroom_id if access.kind == "public" else None


async def _binary(websocket: WebSocket) -> AsyncIterator[bytes]:
    """The mirror's binary messages until it hangs up (it sends nothing else)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if isinstance(data, bytes):
            yield data
