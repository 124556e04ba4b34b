"""A restricted hearing's access code, exchanged once for a viewer ticket (a cookie).

No token is needed: this is the family member's door. The code travels once, in a JSON body
(never in a URL that proxies and browser histories keep); from then on the browser watches
over WHEP and live HLS with the HttpOnly ticket cookie, renewed while it is used.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, status

from api.access_codes import presented, renew
from api.deps import RuntimeDep, SessionDep
from api.holder import RestrictedHearingAtHolder
from api.schemas.tickets import TicketIn, TicketOut
from court.live import codes

router = APIRouter(prefix="/api/v1/public/hearings", tags=["public"])


@router.post(
    "/{hearing_id}/tickets",
    response_model=TicketOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {
            "description": "the code is not valid, has expired, or is already in use on all its "
            "devices: the X-Courtcast-Error header says which (court/live/access_codes.py)"
        },
        404: {"description": "no such hearing (or a sealed one)"},
        409: {"description": "the hearing is public: no ticket is needed"},
        429: {"description": "too many wrong codes: see Retry-After"},
    },
)
async def exchange_code(
    hearing_id: str,
    body: TicketIn,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    _: RestrictedHearingAtHolder,
) -> TicketOut:
    desk = runtime.access_codes
    code_pass = await codes.exchange_code(
        session, desk, hearing_id, presented(request, hearing_id, typed=body.code)
    )
    expires = renew(desk, response, code_pass, hearing_id)
    response.headers["Cache-Control"] = "no-store"
    return TicketOut(hearing_id=hearing_id, expires_at=datetime.fromtimestamp(expires, UTC))
