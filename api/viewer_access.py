"""Who may watch a hearing live right now: the request side of court/in_session.py's rule.

WHEP, the live playlist and its segments all come through here, so a hearing
that is not its courtroom's hearing in session shows nothing on any of them,
and a sealed hearing answers exactly like an unknown id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import HTTPException, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.access_codes import CodePass
from court.in_session import (
    Refusal,
    ViewerKind,
    facts_about,
    hearing_in_session,
    live_verdict,
    valid_codes,
)
from court.principals import (
    Principal,
    bearer_secret,
    find_principal,
    link_subject,
    principal_for_subject,
)
from court.runtime import Runtime
from storage.models import Hearing, HearingAssignment

NOT_FOUND = Refusal.NOT_FOUND.detail  # the same words for unknown and sealed hearings
STOPPED = Refusal.STOPPED.detail


@dataclass(frozen=True, slots=True)
class Access:
    hearing: Hearing
    kind: ViewerKind
    principal: Principal | None = None  # staff only
    code_id: str | None = None
    code_pass: CodePass | None = None  # presented with this request: its ticket is renewed

    @property
    def real_time(self) -> bool:
        """Staff see the live edge; the public and code holders see the broadcast."""
        return self.kind == "staff"

    @property
    def subject(self) -> str:
        """Who a signed live link was handed to, so each fetch is judged again as that viewer."""
        if self.kind == "staff":
            assert self.principal is not None
            return f"staff:{link_subject(self.principal)}"
        return f"code:{self.code_id}" if self.kind == "code" else "public"


def refuse(refusal: Refusal) -> HTTPException:
    return HTTPException(refusal.status_code, refusal.detail)


async def viewer_access(
    request: Request, session: AsyncSession, runtime: Runtime, hearing_id: str, *, hls: bool
) -> Access:
    """The caller's access to the hearing's live media, or the HTTP error that says why not."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise refuse(Refusal.NOT_FOUND)
    secret = bearer_secret(request.headers.get("authorization"))
    principal = (
        await find_principal(session, secret=secret, admin_token=runtime.settings.admin_token)
        if secret is not None
        else None
    )
    return await judge_viewer(session, runtime, hearing, principal, request=request, hls=hls)


async def judge_viewer(
    session: AsyncSession,
    runtime: Runtime,
    hearing: Hearing,
    principal: Principal | None,
    *,
    request: Request | None = None,
    hls: bool = False,
    code_id: str | None = None,
) -> Access:
    """Apply the rule; an access code is looked at only once the hearing is live and needs one.

    `request` carries a ticket or code the caller presents (api/access_codes.py);
    `code_id` is one already accepted (a signed live link handed to a code holder).
    """
    facts = facts_about(
        hearing,
        in_session=await hearing_in_session(session, hearing.courtroom_id),
        principal=principal,
        assigned=await _assigned(session, hearing, principal),
        code=False,
        broadcast_on=(await runtime.broadcasts.state(session, hearing.id)).on,
    )
    verdict = live_verdict(facts)
    code_pass = None
    if verdict is Refusal.CODE_NEEDED:
        if code_id is not None:
            valid = await valid_codes(session, [code_id])
            code_id = code_id if valid.get(code_id) == hearing.id else None
        elif request is not None:
            code_pass = await runtime.access_codes.present(session, request, hearing.id, hls=hls)
            code_id = code_pass.code_id if code_pass else None
        if code_id is not None:
            verdict = live_verdict(replace(facts, code=True))
    if isinstance(verdict, Refusal):
        raise refuse(verdict)
    if verdict != "code":
        code_id, code_pass = None, None
    return Access(hearing, verdict, principal if verdict == "staff" else None, code_id, code_pass)


def renew_ticket(runtime: Runtime, response: Response, access: Access) -> None:
    """A code holder watching keeps a fresh ticket, so it never types its code again."""
    if access.code_pass is not None:
        runtime.access_codes.renew(response, access.code_pass, access.hearing.id)


async def judge_subject(
    session: AsyncSession, runtime: Runtime, hearing: Hearing, subject: str
) -> Access:
    """Judge again the viewer a signed live link was handed to (its token may be revoked since)."""
    kind, _, who = subject.partition(":")
    if kind == "staff":
        principal = await principal_for_subject(
            session, who, admin_token=runtime.settings.admin_token
        )
        if principal is None:
            raise refuse(Refusal.NOT_FOUND)
        return await judge_viewer(session, runtime, hearing, principal)
    return await judge_viewer(session, runtime, hearing, None, code_id=who or None)


async def _assigned(session: AsyncSession, hearing: Hearing, principal: Principal | None) -> bool:
    if principal is None or principal.token_id is None or hearing.visibility != "sealed":
        return False
    return await session.get(HearingAssignment, (hearing.id, principal.token_id)) is not None
