"""Viewing points: what a screen's kiosk page (`/screen/{id}`) shows now. Asked with the
screen's own token (an admin may look too); the rules are court/screens.py's."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.schemas.courtrooms import camera_labels
from api.schemas.screens import RunningOrderOut, ScreenHearing, ScreenOut
from court.live.shown_rooms import shown_rooms
from court.program import PROGRAM
from court.screens import ScreenState, screen_state, the_screen

router = APIRouter(prefix="/api/v1/screens", tags=["screens"])


def screen_out(state: ScreenState, notice: str | None, *, program: bool = False) -> ScreenOut:
    """`program`: the court shows the room's program, which a screen watches as the public
    does (court/program.py), and no camera."""
    room, shown = state.courtroom, state.hearing
    hearing = None
    if shown is not None and room is not None:
        hearing = ScreenHearing(
            id=shown.hearing.id,
            case_number=shown.case_number,
            case_title=shown.case_title,
            title=shown.hearing.title,
            visibility=shown.hearing.visibility,
            status=shown.hearing.status,
            cameras=[PROGRAM] if program else [camera.name for camera in room.cameras],
            camera_labels={} if program else camera_labels(room.cameras),
        )
    return ScreenOut(
        id=state.screen.id,
        name=state.screen.name,
        place=state.screen.place,
        courtroom_id=room.id if room else None,
        courtroom=room.name if room else None,
        hearing=hearing,
        notice=notice,
        sitting=RunningOrderOut.of(state.order) if state.order else None,
    )


@router.get("/{screen_id}", response_model=ScreenOut)
async def what_to_show(
    screen_id: str, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep
) -> ScreenOut:
    """The hearing in session this screen may show (watch it over WHEP with the same token:
    its cameras, or only `program` while the court shows one), or a notice that the hearing
    in session is not for this screen, and the running order of the courtroom's sitting with
    the next hearing to be held."""
    state = await screen_state(session, await the_screen(session, principal, screen_id))
    notice = state.notice
    program = False
    if state.hearing is not None:
        broadcast = await runtime.broadcasts.state(session, state.hearing.hearing.id)
        notice = notice or (None if broadcast.on else "broadcast_stopped")
        room = state.hearing.hearing.courtroom_id
        program = (await shown_rooms(session, runtime, {room}))[room].program is not None
    return screen_out(state, notice, program=program)
