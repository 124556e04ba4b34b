"""What the public may see live of each courtroom (which cameras publish, what the program has
on air), whichever process answers the question.

A courtroom's publications and program switch live only in the process holding its lease
(court/leases.py), but with worker processes or several nodes the public day list is answered
by whichever process takes the request. So each holder writes what it shows of its rooms into
their lease rows at every renewal (each second, storage/leases.renew), and a process that does
not hold a room reads it there: at most about a second old, and gone with the lease (a new
holder's fence clears it). A single node holds every room it has, and reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from court.leases import CourtroomLeases
from court.program import ProgramDesk
from court.publications import Publications
from storage import leases


@dataclass(frozen=True, slots=True)
class ShownProgram:
    """The public side of a courtroom's program (court/program.py's ProgramState)."""

    on_air: str | None  # the camera the public sees, or None on the slate
    slate: str | None  # recess, off_record, or None while a camera is on air


@dataclass(frozen=True, slots=True)
class ShownRoom:
    cameras: list[str]  # publishing now
    program: ShownProgram | None  # None: no program, each camera may be watched

    def to_json(self) -> dict[str, Any]:
        program = self.program
        return {
            "cameras": self.cameras,
            "program": None
            if program is None
            else {"on_air": program.on_air, "slate": program.slate},
        }

    @classmethod
    def from_json(cls, data: Any) -> ShownRoom:
        """Read back what `to_json` wrote; anything else is a dark room, never an error."""
        if not isinstance(data, dict):
            return DARK
        cameras = data.get("cameras")
        program = data.get("program")
        if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
            return DARK
        if not isinstance(program, dict):
            return cls(cameras, None)
        on_air, slate = program.get("on_air"), program.get("slate")
        if not all(value is None or isinstance(value, str) for value in (on_air, slate)):
            return DARK
        return cls(cameras, ShownProgram(on_air, slate))


DARK = ShownRoom([], None)


def shown_here(publications: Publications, program: ProgramDesk, courtroom_id: str) -> ShownRoom:
    """What this process shows of a courtroom: all of it where it is held, dark elsewhere."""
    state = program.state(courtroom_id)
    return ShownRoom(
        cameras=publications.publishing_cameras(courtroom_id),
        program=None if state is None else ShownProgram(state.on_air, state.slate),
    )


class LiveMedia(Protocol):
    """Where this process keeps live media (court/runtime.Runtime has all three)."""

    @property
    def publications(self) -> Publications: ...

    @property
    def program(self) -> ProgramDesk: ...

    @property
    def leases(self) -> CourtroomLeases: ...


async def shown_rooms(
    session: AsyncSession, here: LiveMedia, courtroom_ids: set[str]
) -> dict[str, ShownRoom]:
    """Each room's live facts: read here where this process holds it (a single node holds all
    it has), as its holder last wrote them where another does, dark where nobody does."""
    held = {
        room: shown_here(here.publications, here.program, room)
        for room in courtroom_ids
        if here.leases.holds(room) or not here.leases.shared
    }
    elsewhere = await leases.shown_by_holders(session, courtroom_ids - set(held))
    return held | {
        room: ShownRoom.from_json(elsewhere[room]) if room in elsewhere else DARK
        for room in courtroom_ids - set(held)
    }
