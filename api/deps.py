"""FastAPI dependencies: the runtime, a database session, and who is calling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from court.courtrooms import find_courtroom
from court.evidence_refusal import Requester
from court.principals import STAFF_ROLES, Principal, Role, bearer_secret, find_principal
from court.runtime import Runtime
from court.visibility import require_courtroom, visible_hearing, visible_recording
from storage.models import Courtroom, Hearing, Recording


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(request: Request) -> Settings:
    """The settings the app was made with (read here, handed to `court` as plain values)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def get_principal(request: Request, settings: SettingsDep, session: SessionDep) -> Principal:
    secret = bearer_secret(request.headers.get("authorization"))
    if secret is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", UNAUTHORIZED
        )
    principal = await find_principal(session, secret=secret, admin_token=settings.admin_token)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "the token is unknown, expired or revoked", UNAUTHORIZED
        )
    request.state.principal = principal  # the audit trail records who it was
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets only `roles` through (403 for the others)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"the {principal.role} role may not do this"
            )
        return principal

    return check


Admin = Annotated[Principal, Depends(require("admin"))]
Operator = Annotated[Principal, Depends(require("admin", "operator"))]
Staff = Annotated[Principal, Depends(require(*STAFF_ROLES))]
Writer = Annotated[Principal, Depends(require("admin", "operator", "clerk"))]  # of the record
# who marks events on a recording: staff who take part in the hearing, not a supervisor
Marking = Annotated[Principal, Depends(require("admin", "operator", "judge", "clerk"))]


# Declare the role dependency (Operator, Staff, ...) before these in a route's parameters:
# FastAPI resolves them in order, and a role refusal (403) comes before a hearing's 404.


async def get_visible_hearing(
    hearing_id: str, session: SessionDep, principal: PrincipalDep
) -> Hearing:
    """The hearing `hearing_id` names; a sealed one is 404 unless the caller is assigned."""
    return await visible_hearing(session, principal, hearing_id)


VisibleHearing = Annotated[Hearing, Depends(get_visible_hearing)]


async def get_operated_hearing(hearing: VisibleHearing, principal: PrincipalDep) -> Hearing:
    """A visible hearing in a courtroom the caller's token may use (else 403)."""
    require_courtroom(principal, hearing.courtroom_id)
    return hearing


OperatedHearing = Annotated[Hearing, Depends(get_operated_hearing)]


async def get_visible_recording(
    recording_id: str, session: SessionDep, principal: PrincipalDep
) -> Recording:
    """The recording `recording_id` names; one of a hidden sealed hearing is 404."""
    return await visible_recording(session, principal, recording_id)


VisibleRecording = Annotated[Recording, Depends(get_visible_recording)]


async def get_operated_courtroom(
    courtroom_id: str, session: SessionDep, principal: PrincipalDep
) -> Courtroom:
    """The courtroom `courtroom_id` names (404) if the caller's token may use it (403)."""
    courtroom = await find_courtroom(session, courtroom_id)
    require_courtroom(principal, courtroom.id)
    return courtroom


OperatedCourtroom = Annotated[Courtroom, Depends(get_operated_courtroom)]


def requester(request: Request, principal: Principal) -> Requester:
    """Who asks, as the audit log names them: the token, the path, the client address."""
    return Requester(
        principal, target=request.url.path, source=request.client.host if request.client else ""
    )
