"""Who may publish a courtroom's camera over WHIP, and who may end a publication."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Forbidden, NotFound
from court.principals import Principal
from storage.models import Courtroom

PUBLISHERS = ("admin", "operator", "camera")


def require_publisher(principal: Principal, courtroom_id: str, camera: str) -> None:
    """Refuse (Forbidden) a token that may not publish this camera, saying why."""
    if principal.role not in PUBLISHERS:
        raise Forbidden(f"the {principal.role} role may not publish")
    if principal.role == "camera" and principal.camera != camera:
        raise Forbidden("this camera token is for another camera")
    if not principal.may_use_courtroom(courtroom_id):
        raise Forbidden("this token may not use that courtroom")


def require_unpublisher(principal: Principal, courtroom_id: str, camera: str) -> None:
    """Refuse (Forbidden) a token that may not end this camera's publication, saying nothing
    more (the publication's id is the secret that matters)."""
    if (
        principal.role not in PUBLISHERS
        or (principal.role == "camera" and principal.camera != camera)
        or not principal.may_use_courtroom(courtroom_id)
    ):
        raise Forbidden("this token may not end that publication")


async def require_room_camera(session: AsyncSession, courtroom_id: str, camera: str) -> None:
    """Refuse (NotFound) an unknown courtroom, or a camera the courtroom does not have."""
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise NotFound("courtroom not found")
    if camera not in {c.name for c in courtroom.cameras}:
        raise NotFound(f"courtroom has no camera {camera!r}")
