"""Who hears of an alarm: staff of the courtrooms their token may use, and of an alarm about a
hearing's feed only those who may see that hearing (a sealed hearing's alarms reach admins and
the tokens assigned to it, nobody else). Each check opens its own session, since a listener
lives long and a hearing may be sealed or a token revoked meanwhile."""

from __future__ import annotations

from typing import Any

from court.principals import STAFF_ROLES, Principal, find_principal, principals_by_id
from court.visibility import may_see
from storage.db import Database
from storage.models import Hearing


async def may_hear(db: Database, principal: Principal, alarm: dict[str, Any]) -> bool:
    """Whether this caller may know of the alarm (its JSON form: what the board sends)."""
    courtroom_id = alarm.get("courtroom_id")
    if courtroom_id is not None and not principal.may_use_courtroom(courtroom_id):
        return False
    hearing_id = alarm.get("hearing_id")
    if hearing_id is None or principal.role == "admin":
        return True
    async with db.session() as session:  # fresh: a hearing may have been sealed since
        hearing = await session.get(Hearing, hearing_id)
        return hearing is not None and await may_see(session, principal, hearing)


async def audible_alarms(
    db: Database, principal: Principal, alarms: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The alarms (JSON forms) of `alarms` this caller may hear of, in order."""
    return [alarm for alarm in alarms if await may_hear(db, principal, alarm)]


async def token_alive(db: Database, token_id: str) -> bool:
    """One primary-key lookup: the token is neither revoked nor expired."""
    async with db.session() as session:
        return token_id in await principals_by_id(session, [token_id])


async def staff_listener(
    db: Database, secret: str | None, *, admin_token: str | None
) -> Principal | None:
    """The staff principal a listener's secret names, or None (unknown, or not staff)."""
    if secret is None:
        return None
    async with db.session() as session:
        principal = await find_principal(session, secret=secret, admin_token=admin_token)
    return principal if principal is not None and principal.role in STAFF_ROLES else None
