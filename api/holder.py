"""Requests about a courtroom's live media are answered by the node holding it.

WHIP and WHEP answer `307` with the holder's URL (RFC 9725 lets clients follow it with the
same method and body). Commands (start, stop, broadcast, a hearing's state, the feeds) are
forwarded to the holder, so a page or script talking to any node just works; a forwarded
request is never forwarded again (a courtroom changing hands meanwhile answers 503).
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import RuntimeDep, SessionDep, VisibleHearing, VisibleRecording
from api.forwarded_client import CLIENT_HEADER, client_claim
from court.errors import Unavailable
from court.live.public_hearings import LISTED
from court.runtime import Runtime
from storage.models import Hearing

FORWARDED_BY = "X-Courtcast-Forwarded-By"
FORWARD_TIMEOUT_S = 60.0  # stopping a recording waits for its last segments to be stored
PASSED_ON = {"authorization", "cookie", "content-type", "accept", "accept-language", "user-agent"}
RETURNED = {
    "content-type",
    "set-cookie",
    "cache-control",
    "location",
    "etag",
    "retry-after",
    "x-courtcast-error",
}


class HeldElsewhere(Exception):
    """Another node holds the courtroom: send the request there."""

    def __init__(self, node_url: str, body: bytes, *, redirect: bool) -> None:
        super().__init__(node_url)
        self.node_url = node_url
        self.body = body
        self.redirect = redirect


async def at_holder(
    request: Request, runtime: Runtime, courtroom_id: str, *, redirect: bool, take: bool
) -> None:
    """Return when this node holds the courtroom (`take`: taking it if it should; else when
    nobody holds it either); otherwise raise HeldElsewhere."""
    if take:
        node_url = await runtime.leases.claim(courtroom_id)
    else:
        node_url = await runtime.leases.holder_url(courtroom_id)
    if node_url is None:
        return
    if request.headers.get(FORWARDED_BY):
        raise Unavailable("the courtroom is moving between nodes; try again in a second")
    body = b"" if redirect else await request.body()  # a redirected client sends it again
    raise HeldElsewhere(node_url, body, redirect=redirect)


def resource_url(runtime: Runtime, path: str) -> str:
    """A WHIP or WHEP resource's URL: on several nodes it names this node, so the client's
    DELETE reaches the node that holds the session, whichever node it first asked."""
    return runtime.leases.node.url + path if runtime.leases.shared else path


async def courtroom_taken(request: Request, runtime: RuntimeDep, hearing: VisibleHearing) -> None:
    """Starting to record takes the courtroom's lease here, or goes to the node that should."""
    await at_holder(request, runtime, hearing.courtroom_id, redirect=False, take=True)


async def hearing_at_holder(request: Request, runtime: RuntimeDep, hearing: VisibleHearing) -> None:
    await at_holder(request, runtime, hearing.courtroom_id, redirect=False, take=False)


async def recording_at_holder(
    request: Request, runtime: RuntimeDep, recording: VisibleRecording
) -> None:
    await at_holder(request, runtime, recording.courtroom_id, redirect=False, take=False)


async def courtroom_at_holder(request: Request, runtime: RuntimeDep, courtroom_id: str) -> None:
    await at_holder(request, runtime, courtroom_id, redirect=False, take=False)


async def restricted_hearing_at_holder(
    request: Request, runtime: RuntimeDep, session: SessionDep, hearing_id: str
) -> None:
    """A family's code is judged where the courtroom's viewers are counted (its device limit
    and wrong-code windows live there)."""
    await _held_if(request, runtime, session, hearing_id, ("restricted",))


async def listed_hearing_at_holder(
    request: Request, runtime: RuntimeDep, session: SessionDep, hearing_id: str
) -> None:
    """What the public page says of a listed hearing (the cameras publishing, the program on
    air) is known where its courtroom is held."""
    await _held_if(request, runtime, session, hearing_id, LISTED)


async def _held_if(
    request: Request,
    runtime: Runtime,
    session: AsyncSession,
    hearing_id: str,
    visibilities: tuple[str, ...],
) -> None:
    """Forward to the holder a hearing of one of these visibilities; any other is answered
    here, so a sealed one looks exactly like an unknown one."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is not None and hearing.visibility in visibilities:
        await at_holder(request, runtime, hearing.courtroom_id, redirect=False, take=False)


CourtroomTaken = Annotated[None, Depends(courtroom_taken)]
HearingAtHolder = Annotated[None, Depends(hearing_at_holder)]
RecordingAtHolder = Annotated[None, Depends(recording_at_holder)]
CourtroomAtHolder = Annotated[None, Depends(courtroom_at_holder)]
RestrictedHearingAtHolder = Annotated[None, Depends(restricted_hearing_at_holder)]
ListedHearingAtHolder = Annotated[None, Depends(listed_hearing_at_holder)]


def install_holder_handler(app: FastAPI) -> None:
    @app.exception_handler(HeldElsewhere)
    async def held_elsewhere(request: Request, elsewhere: HeldElsewhere) -> Response:
        target = elsewhere.node_url + request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        if elsewhere.redirect:
            return JSONResponse(
                {"detail": "another node holds this courtroom: follow Location"},
                status_code=status.HTTP_307_TEMPORARY_REDIRECT,
                headers={"Location": target},
            )
        return await _forward(request, target, elsewhere.body, request.app.state.runtime)


async def _forward(request: Request, target: str, body: bytes, runtime: Runtime) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_ON}
    headers[FORWARDED_BY] = runtime.leases.node.id
    if request.client is not None:  # the holder's per-address limits count the real client
        headers[CLIENT_HEADER] = client_claim(runtime.signer, request.client.host, request.url.path)
    try:
        async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S) as client:
            answer = await client.request(request.method, target, content=body, headers=headers)
    except httpx.HTTPError:
        return JSONResponse(
            {"detail": "the node holding this courtroom did not answer; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    response = Response(answer.content, status_code=answer.status_code)
    for name, value in answer.headers.multi_items():
        if name.lower() in RETURNED:
            response.headers.append(name, value)
    return response
