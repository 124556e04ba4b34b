"""What the public sees of a courtroom: its program feed (streaming/program.py), chosen by the
operator or the judge: a camera, the evidence source, or the recess slate.

While a courtroom has a program, viewers who are not staff watch it and nothing else (asking
for a camera is refused); staff still watch any camera. Every choice is a `program` marker on
the room's running recording (its text names the source, or `recess`). An off-record period
(the `off_record_start` to `off_record_end` markers) puts the program on the slate whatever was
chosen, while every camera is recorded as ever, and ends back on the choice.

The switch lives in the process holding the courtroom's live media (the API routes choose
there). The choice is also kept in the index (storage/program_models.py): whoever takes the
courtroom next (this process after a restart, another node after a takeover) puts it back on
air as it gains the room, before any viewer reaches it there. Ending the program is marked
(`program_end`) like a switch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Invalid
from court.principals import Principal
from storage.models import Courtroom, Marker, Recording
from storage.program_models import CourtroomProgram
from streaming.hub import Hub, HubRegistry
from streaming.program import ProgramSwitch

PROGRAM = "program"  # the program's name where a camera's would be (WHEP, hubs); no camera's
RECESS = "recess"
OFF_RECORD_MARKERS = ("off_record_start", "off_record_end")
PROGRAM_END = "program_end"  # the marker of a program's end: the public picks cameras again
Slate = Literal["recess", "off_record"]


@dataclass(frozen=True, slots=True)
class ProgramState:
    chosen: str  # a camera of the room, or "recess"
    off_record: bool
    changed_at: datetime
    changed_by: str

    @property
    def on_air(self) -> str | None:
        """The camera the public sees now, or None on the slate."""
        return None if self.off_record or self.chosen == RECESS else self.chosen

    @property
    def slate(self) -> Slate | None:
        if self.off_record:
            return "off_record"
        return "recess" if self.chosen == RECESS else None


class ProgramDesk:
    def __init__(self, hubs: HubRegistry) -> None:
        self._hubs = hubs
        self._switches: dict[str, ProgramSwitch] = {}
        self._states: dict[str, ProgramState] = {}

    def state(self, courtroom_id: str) -> ProgramState | None:
        """The room's program, or None: no program, viewers watch the cameras."""
        return self._states.get(courtroom_id)

    def output(self, courtroom_id: str) -> Hub:
        return self._hubs.hub(courtroom_id, PROGRAM)

    async def choose(
        self, session: AsyncSession, principal: Principal, courtroom: Courtroom, source: str
    ) -> ProgramState:
        """Put `source` (a camera of the room, or "recess") on air, keep it, and mark it."""
        cameras = {camera.name for camera in courtroom.cameras}
        if source != RECESS and source not in cameras:
            raise Invalid(f"the courtroom has no camera {source!r} (or choose {RECESS!r})")
        before = self._states.get(courtroom.id)
        off_record = before.off_record if before else await _off_record_now(session, courtroom.id)
        state = ProgramState(source, off_record, datetime.now(UTC), principal.name)
        self._states[courtroom.id] = state
        self._apply(courtroom.id)
        kept = await session.get(CourtroomProgram, courtroom.id)
        if kept is None:
            kept = CourtroomProgram(courtroom_id=courtroom.id)
            session.add(kept)
        kept.chosen, kept.changed_at, kept.changed_by = source, state.changed_at, principal.name
        await _mark(session, courtroom.id, state.changed_at, PROGRAM, source, principal.name)
        await session.commit()
        return state

    async def end(self, session: AsyncSession, principal: Principal, courtroom_id: str) -> None:
        """No program any more: viewers watch the cameras again; marked if it had one."""
        kept = await session.get(CourtroomProgram, courtroom_id)
        had = self._states.get(courtroom_id) is not None or kept is not None
        self.forget(courtroom_id)
        if kept is not None:
            await session.delete(kept)
        if had:
            await _mark(session, courtroom_id, datetime.now(UTC), PROGRAM_END, "", principal.name)
        await session.commit()

    async def restore(self, session: AsyncSession, courtroom: Courtroom) -> None:
        """Put the kept choice back on air in a room this process has just gained. A camera the
        room no longer has gives the slate: nothing is shown that the court did not choose."""
        kept = await session.get(CourtroomProgram, courtroom.id)
        if kept is None:
            return
        cameras = {camera.name for camera in courtroom.cameras}
        chosen = kept.chosen if kept.chosen in cameras else RECESS
        off_record = await _off_record_now(session, courtroom.id)
        self._states[courtroom.id] = ProgramState(
            chosen, off_record, kept.changed_at, kept.changed_by
        )
        self._apply(courtroom.id)

    def forget(self, courtroom_id: str) -> None:
        """Stop switching the room here (its program ends, or another process has the room)."""
        self._states.pop(courtroom_id, None)
        switch = self._switches.pop(courtroom_id, None)
        if switch is not None:
            switch.close()

    async def follow_record(self, session: AsyncSession, courtroom_id: str) -> None:
        """An off-record marker was written in the room: the program shows what the room's
        running recording's latest such marker (by its time) says. A marker on an earlier
        recording, or one dated before a later one, changes nothing."""
        if courtroom_id not in self._states:
            return
        off_record = await _off_record_now(session, courtroom_id)
        state = self._states.get(courtroom_id)  # chosen again, or ended, meanwhile
        if state is not None and state.off_record != off_record:
            self._states[courtroom_id] = replace(state, off_record=off_record)
            self._apply(courtroom_id)

    def close(self) -> None:
        for courtroom_id in list(self._switches):
            self.forget(courtroom_id)

    def _apply(self, courtroom_id: str) -> None:
        state = self._states[courtroom_id]
        switch = self._switches.get(courtroom_id)
        if switch is None:
            switch = self._switches[courtroom_id] = ProgramSwitch(self.output(courtroom_id))
        on_air = state.on_air
        switch.choose(self._hubs.hub(courtroom_id, on_air) if on_air else None)


async def _running_recording(session: AsyncSession, courtroom_id: str) -> Recording | None:
    return await session.scalar(
        select(Recording)
        .where(Recording.courtroom_id == courtroom_id, Recording.status == "recording")
        .order_by(Recording.started_at.desc())
        .limit(1)
    )


async def _off_record_now(session: AsyncSession, courtroom_id: str) -> bool:
    """Whether the room's running recording is off the record (its last such marker starts it)."""
    recording = await _running_recording(session, courtroom_id)
    if recording is None:
        return False
    last = await session.scalar(
        select(Marker.kind)
        .where(
            Marker.recording_id == recording.id,
            Marker.kind.in_(OFF_RECORD_MARKERS),
        )
        .order_by(Marker.at.desc(), Marker.created_at.desc())
        .limit(1)
    )
    return last == "off_record_start"


async def _mark(
    session: AsyncSession, courtroom_id: str, at: datetime, kind: str, text: str, by: str
) -> None:
    """Every switch is a marker on the room's running recording (none: nothing to mark)."""
    recording = await _running_recording(session, courtroom_id)
    if recording is not None:
        session.add(Marker(recording_id=recording.id, at=at, kind=kind, text=text, author=by))
