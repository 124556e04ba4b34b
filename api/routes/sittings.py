"""Sittings: plan a running order, start it, move to the next case, end it.

Starting, next and end are answered by the node holding the courtroom (api/holder.py), as
starting a recording is. The rules are court/sittings.py's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Operator, PrincipalDep, RuntimeDep, SessionDep, SettingsDep, Staff
from api.holder import at_holder
from api.schemas.sittings import SittingEntryOut, SittingIn, SittingOut
from court.principals import Principal
from court.sittings import (
    CourtTools,
    end_sitting,
    next_case,
    plan_sitting,
    running_order,
    sittings_of,
    start_sitting,
    visible_sitting,
)
from storage.sitting_models import Sitting

router = APIRouter(prefix="/api/v1/sittings", tags=["sittings"])


async def get_visible_sitting(
    sitting_id: str, session: SessionDep, principal: PrincipalDep
) -> Sitting:
    """The sitting `sitting_id` names; 404 unless the caller may see every hearing in it."""
    return await visible_sitting(session, principal, sitting_id)


VisibleSitting = Annotated[Sitting, Depends(get_visible_sitting)]


async def sitting_taken(request: Request, runtime: RuntimeDep, sitting: VisibleSitting) -> None:
    """Running a sitting takes its courtroom's lease here, or goes to the node that should."""
    await at_holder(request, runtime, sitting.courtroom_id, redirect=False, take=True)


SittingTaken = Annotated[None, Depends(sitting_taken)]


async def sitting_out(session: AsyncSession, sitting: Sitting) -> SittingOut:
    entries = [
        SittingEntryOut(
            position=entry.position,
            hearing_id=entry.hearing.id,
            title=entry.hearing.title,
            case_number=entry.case_number,
            case_title=entry.case_title,
            visibility=entry.hearing.visibility,
            status=entry.hearing.status,
            actual_start=entry.hearing.actual_start,
            actual_end=entry.hearing.actual_end,
        )
        for entry in await running_order(session, sitting)
    ]
    return SittingOut(
        id=sitting.id,
        courtroom_id=sitting.courtroom_id,
        title=sitting.title,
        scheduled_start=sitting.scheduled_start,
        status=sitting.status,
        position=sitting.position,
        created_by=sitting.created_by,
        started_at=sitting.started_at,
        ended_at=sitting.ended_at,
        entries=entries,
    )


@dataclass(frozen=True, slots=True)
class SittingCommand:
    """What start, next and end need: the caller, the sitting (its courtroom held here) and
    the court's tools."""

    session: AsyncSession
    principal: Principal
    sitting: Sitting
    tools: CourtTools

    async def run(self, action: SittingAction) -> SittingOut:
        await action(self.session, self.principal, self.sitting, self.tools)
        return await sitting_out(self.session, self.sitting)


SittingAction = Callable[[AsyncSession, Principal, Sitting, CourtTools], Awaitable[object]]


async def sitting_command(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    principal: Operator,
    sitting: VisibleSitting,
    _: SittingTaken,
) -> SittingCommand:
    tools = CourtTools(
        retention_classes=settings.retention_table,
        recordings=runtime.recordings,
        live_guard=runtime.live_guard,
    )
    return SittingCommand(session, principal, sitting, tools)


Command = Annotated[SittingCommand, Depends(sitting_command)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SittingOut)
async def create_sitting(body: SittingIn, session: SessionDep, principal: Operator) -> SittingOut:
    """The hearings must be scheduled hearings of the courtroom, each at most once."""
    sitting = await plan_sitting(
        session,
        principal,
        courtroom_id=body.courtroom_id,
        title=body.title,
        scheduled_start=body.scheduled_start,
        hearing_ids=body.hearing_ids,
    )
    return await sitting_out(session, sitting)


@router.get("", response_model=list[SittingOut])
async def list_sittings(
    courtroom_id: str, session: SessionDep, principal: Staff
) -> list[SittingOut]:
    """A courtroom's sittings, the latest first; one holding a sealed hearing the caller may
    not see is left out."""
    sittings = await sittings_of(session, principal, courtroom_id)
    return [await sitting_out(session, sitting) for sitting in sittings]


@router.get("/{sitting_id}", response_model=SittingOut)
async def get_sitting(_: Staff, session: SessionDep, sitting: VisibleSitting) -> SittingOut:
    return await sitting_out(session, sitting)


@router.post("/{sitting_id}/start", response_model=SittingOut)
async def start(command: Command) -> SittingOut:
    """Opens the first hearing still to be held and records it (with the cameras' pre-roll)."""
    return await command.run(start_sitting)


@router.post("/{sitting_id}/next", response_model=SittingOut)
async def next_hearing(command: Command) -> SittingOut:
    """Closes the hearing in session and opens the next, the cameras never stopping: each
    camera's next keyframe ends one recording and begins the next. Answers once the closed
    hearing's recording is stored and sealed."""
    return await command.run(next_case)


@router.post("/{sitting_id}/end", response_model=SittingOut)
async def end(command: Command) -> SittingOut:
    """Closes the hearing in session, its recording stored and sealed."""
    return await command.run(end_sitting)
