"""The record in the room: the clerk's record as it is written, for the courtroom's display
(`/display/{courtroom}`) and the captions of `/watch`.

`GET /api/v1/live/{hearing_id}/record` answers whoever may watch the hearing live now, with the
live rule's refusals (sealed: 404 like an unknown id; restricted: the code; kill switch: 403);
staff-only lines are never in it. With `?after=<version>` the request waits (no database
connection held) until the record changes, at most WAIT_S, and the caller is judged again
before it is answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import PrincipalDep, RuntimeDep, SessionDep, SettingsDep
from api.schemas.live_record import (
    DisplayedHearingOut,
    DisplayOut,
    PartyOut,
    ShownLineOut,
    ShownRecordOut,
)
from api.viewer_access import renew_ticket, viewer_access
from court.live.room_display import room_display, viewer_delay
from court.live.shown_record import shown_lines, shown_version

router = APIRouter(prefix="/api/v1", tags=["live record"])
WAIT_S = 20.0


@router.get("/live/{hearing_id}/record", response_model=ShownRecordOut)
async def live_record(
    hearing_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    after: Annotated[int | None, Query(ge=0, description="the version shown now")] = None,
) -> ShownRecordOut:
    """The newest lines of the hearing's record as this viewer may see them now."""
    access = await viewer_access(
        request, session, runtime, hearing_id, admin_token=settings.admin_token, hls=True
    )
    if after is not None:
        delay = await viewer_delay(session, runtime, access)
        await session.commit()  # park without holding a database connection
        await runtime.live_record.wait(hearing_id, after, delay, WAIT_S)
        access = await viewer_access(
            request, session, runtime, hearing_id, admin_token=settings.admin_token, hls=True
        )
    delay = await viewer_delay(session, runtime, access)
    cutoff = datetime.now(UTC) - timedelta(seconds=delay)
    version = await shown_version(session, hearing_id, cutoff)

    async def build() -> ShownRecordOut:
        lines = await shown_lines(session, hearing_id, cutoff)
        shown = [ShownLineOut.model_validate(line, from_attributes=True) for line in lines]
        return ShownRecordOut(version=version, lines=shown)

    renew_ticket(runtime, response, access)
    response.headers["Cache-Control"] = "private, no-store"
    return await runtime.live_record.answer(hearing_id, version, build)


@router.get("/courtrooms/{courtroom_id}/display", response_model=DisplayOut)
async def display(
    courtroom_id: str, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep
) -> DisplayOut:
    """What the courtroom's display shows now: the hearing in session this token may watch,
    its case, parties and the exhibit being shown; or a notice and nothing of the hearing."""
    shown = await room_display(session, runtime, principal, courtroom_id)
    hearing = None
    if shown.hearing is not None:
        displayed = shown.hearing
        hearing = DisplayedHearingOut(
            id=displayed.hearing.id,
            case_number=displayed.case.number,
            case_title=displayed.case.title,
            title=displayed.hearing.title,
            parties=[PartyOut(role=p.role, name=p.name) for p in displayed.parties],
            exhibit=displayed.exhibit,
        )
    return DisplayOut(courtroom=shown.courtroom.name, hearing=hearing, notice=shown.notice)
