"""Which hub a WHEP viewer reads: the camera's own where its courtroom is held here, else,
for the public, a mirror of it here (court/live/mirrors.py); anyone else is sent to the holder.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.holder import HeldElsewhere, at_holder
from court.live.shown_rooms import shown_rooms
from court.live.viewer_access import Access, require_program_or_camera, require_watchable
from court.runtime import Runtime
from streaming.hub import Hub


async def viewer_source(
    request: Request, session: AsyncSession, runtime: Runtime, access: Access, camera: str
) -> tuple[Hub, bool]:
    """The live hub to serve `camera` from, and whether it is a mirror; raises HeldElsewhere
    (a 307 to the holder) for a viewer only the holder serves."""
    courtroom_id = access.hearing.courtroom_id
    try:
        await at_holder(request, runtime, courtroom_id, redirect=True, take=True)
    except HeldElsewhere:
        # a code's device limit and a token's checks are counted where the room is held; and
        # a room about to be taken (claimed by a node that does not hold it yet) has no feed
        if access.kind != "public" or await runtime.leases.holder_url(courtroom_id) is None:
            raise
        shown = (await shown_rooms(session, runtime, {courtroom_id}))[courtroom_id]
        require_watchable(shown.program is not None, access, camera)
        return runtime.mirrors.hub(access.hearing.id, courtroom_id, camera), True
    require_program_or_camera(runtime.program, access, camera)  # where the program runs
    return runtime.hubs.hub(courtroom_id, camera), False
