"""Who may watch a hearing live right now: court/in_session.py's rule applied to one caller.

WHEP, the live playlist and its segments all come through here, so a hearing
that is not its courtroom's hearing in session shows nothing on any of them,
and a sealed hearing answers exactly like an unknown id. The caller (api/viewer_access.py)
hands over plain values: the bearer secret, and what the request presents for a code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import CourtError, Forbidden, NotFound, Unauthorized
from court.in_session import (
    Refusal,
    ViewerKind,
    facts_about,
    hearing_in_session,
    live_verdict,
    valid_codes,
)
from court.live.access_codes import CodePass, Presented
from court.principals import Principal, find_principal, link_subject, principal_for_subject
from court.program import PROGRAM, ProgramDesk
from court.runtime import Runtime
from storage.models import Courtroom, Hearing, HearingAssignment

NOT_FOUND = Refusal.NOT_FOUND.detail  # the same words for unknown and sealed hearings
STOPPED = Refusal.STOPPED.detail
_KIND_OF: dict[Refusal, type[CourtError]] = {
    Refusal.NOT_FOUND: NotFound,
    Refusal.NOT_IN_SESSION: NotFound,
    Refusal.CODE_NEEDED: Unauthorized,
    Refusal.STOPPED: Forbidden,
}


@dataclass(frozen=True, slots=True)
class Access:
    hearing: Hearing
    kind: ViewerKind
    principal: Principal | None = None  # staff and screens: their token is judged again
    code_id: str | None = None
    code_pass: CodePass | None = None  # presented with this request: its ticket is renewed

    @property
    def real_time(self) -> bool:
        """Staff see the live edge; the public and code holders see the broadcast."""
        return self.kind == "staff"

    @property
    def subject(self) -> str:
        """Who a signed live link was handed to, so each fetch is judged again as that viewer
        ("staff:" names any token's viewer, a screen's too)."""
        if self.principal is not None:
            assert self.principal is not None
            return f"staff:{link_subject(self.principal)}"
        return f"code:{self.code_id}" if self.kind == "code" else "public"


def refused(refusal: Refusal) -> CourtError:
    """The court refusal of a live verdict, in the words every live route gives."""
    return _KIND_OF[refusal](refusal.detail)


async def visible_hearing(session: AsyncSession, hearing_id: str) -> Hearing:
    """The hearing by id, or the refusal an unknown (or sealed) one gets on a live route."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise refused(Refusal.NOT_FOUND)
    return hearing


async def viewer_access(
    session: AsyncSession,
    runtime: Runtime,
    hearing_id: str,
    *,
    secret: str | None,
    admin_token: str | None,
    presented: Presented,
    hls: bool,
) -> Access:
    """The caller's access to the hearing's live media, or the refusal that says why not."""
    hearing = await visible_hearing(session, hearing_id)
    principal = (
        await find_principal(session, secret=secret, admin_token=admin_token)
        if secret is not None
        else None
    )
    return await judge_viewer(session, runtime, hearing, principal, presented=presented, hls=hls)


async def judge_viewer(
    session: AsyncSession,
    runtime: Runtime,
    hearing: Hearing,
    principal: Principal | None,
    *,
    presented: Presented | None = None,
    hls: bool = False,
    code_id: str | None = None,
) -> Access:
    """Apply the rule; an access code is looked at only once the hearing is live and needs one.

    `presented` carries a ticket or code the caller brings (court/live/access_codes.py);
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
            code_id = code_id if code_id in valid and valid[code_id].opens(hearing) else None
        elif presented is not None:
            code_pass = await runtime.access_codes.present(session, presented, hearing.id, hls=hls)
            code_id = code_pass.code_id if code_pass else None
        if code_id is not None:
            verdict = live_verdict(replace(facts, code=True))
    if isinstance(verdict, Refusal):
        raise refused(verdict)
    if verdict != "code":
        code_id, code_pass = None, None
    by_token = verdict in ("staff", "screen")
    return Access(hearing, verdict, principal if by_token else None, code_id, code_pass)


async def judge_subject(
    session: AsyncSession,
    runtime: Runtime,
    hearing_id: str,
    subject: str,
    *,
    admin_token: str | None,
) -> Access:
    """Judge again the viewer a signed live link was handed to (its token may be revoked since)."""
    hearing = await visible_hearing(session, hearing_id)
    kind, _, who = subject.partition(":")
    if kind == "staff":
        principal = await principal_for_subject(session, who, admin_token=admin_token)
        if principal is None:
            raise refused(Refusal.NOT_FOUND)
        return await judge_viewer(session, runtime, hearing, principal)
    return await judge_viewer(session, runtime, hearing, None, code_id=who or None)


def require_program_or_camera(program: ProgramDesk, access: Access, camera: str) -> None:
    """While the room has a program feed, viewers who are not staff watch it and no camera;
    without one there is no program to watch (judged where the program runs)."""
    require_watchable(program.state(access.hearing.courtroom_id) is not None, access, camera)


def require_watchable(has_program: bool, access: Access, camera: str) -> None:
    """`require_program_or_camera` where the room's program is known from its holder's word
    (court/live/shown_rooms.py), in a process that does not hold the room."""
    if camera == PROGRAM and not has_program:
        raise NotFound("the court shows no program feed of this hearing")
    if camera != PROGRAM and has_program and not access.real_time:
        raise Forbidden(f"the court chooses what the public sees: watch {PROGRAM!r}")


async def require_camera(session: AsyncSession, hearing: Hearing, camera: str) -> None:
    """Refuse (NotFound) a camera the hearing's courtroom does not have."""
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    if courtroom is None or camera not in {c.name for c in courtroom.cameras}:
        raise NotFound(f"the hearing has no camera {camera!r}")


async def _assigned(session: AsyncSession, hearing: Hearing, principal: Principal | None) -> bool:
    if principal is None or principal.token_id is None or hearing.visibility != "sealed":
        return False
    return await session.get(HearingAssignment, (hearing.id, principal.token_id)) is not None
