"""The request side of the live rule (court/live/viewer_access.py): the caller's bearer secret
and the code or ticket it presents go in; a code holder's ticket cookie is renewed on the way
out."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.access_codes import presented, renew
from court.live.viewer_access import Access
from court.live.viewer_access import viewer_access as judge_access
from court.principals import bearer_secret
from court.runtime import Runtime


async def viewer_access(
    request: Request,
    session: AsyncSession,
    runtime: Runtime,
    hearing_id: str,
    *,
    admin_token: str | None,
    hls: bool,
) -> Access:
    """The caller's access to the hearing's live media; refusals go to the one handler."""
    return await judge_access(
        session,
        runtime,
        hearing_id,
        secret=bearer_secret(request.headers.get("authorization")),
        admin_token=admin_token,
        presented=presented(request, hearing_id),
        hls=hls,
    )


def renew_ticket(runtime: Runtime, response: Response, access: Access) -> None:
    """A code holder watching keeps a fresh ticket, so it never types its code again."""
    if access.code_pass is not None:
        renew(runtime.access_codes, response, access.code_pass, access.hearing.id)
