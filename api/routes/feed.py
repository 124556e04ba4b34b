"""A camera's encoded frames for another Courtcast process's mirror (court/live/mirrors.py).

Internal: only a process holding the installation's key can ask (a signed claim in a header),
and only for a courtroom this process holds; anyone else is refused before the websocket
opens, with nothing read from them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, WebSocket, status

from court.live.mirrors import FEED_HEADER, FEED_PATH, feed_claimant
from court.runtime import Runtime

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.websocket(FEED_PATH)
async def feed(websocket: WebSocket, courtroom_id: str, camera: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    claim = websocket.headers.get(FEED_HEADER)
    asker = feed_claimant(runtime.signer, claim, courtroom_id, camera)
    if asker is None or not runtime.leases.holds(courtroom_id):
        await websocket.close(status.WS_1008_POLICY_VIOLATION)  # refused: never accepted
        return
    await websocket.accept()
    await runtime.mirrors.serve(courtroom_id, camera, websocket.send_bytes, _binary(websocket))


async def _binary(websocket: WebSocket) -> AsyncIterator[bytes]:
    """The mirror's binary messages until it hangs up (it sends nothing else)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if isinstance(data, bytes):
            yield data
