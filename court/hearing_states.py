"""A hearing's statuses and where each may go: the state machine the desk and console drive.

"closed" and "cancelled" are final, and only a hearing that never opened may be cancelled.
Pure: the caller saves the hearing.
"""

from __future__ import annotations

from datetime import datetime

from court.errors import Conflict
from storage.models import Hearing

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"in_session", "closed", "cancelled"}),
    "in_session": frozenset({"recess", "closed"}),
    "recess": frozenset({"in_session", "closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


def refusal(current: str, target: str) -> str | None:
    """Why `current` may not become `target`, or None when it may (staying put is allowed)."""
    allowed = TRANSITIONS.get(current, frozenset())
    if target == current or target in allowed:
        return None
    return (
        f"a hearing cannot go from {current} to {target}; from {current} it"
        f" may go to: {', '.join(sorted(allowed)) or 'nothing'}"
    )


def change_status(hearing: Hearing, target: str, at: datetime) -> None:
    """Move a hearing on, stamping when it actually began and ended (Conflict if not allowed)."""
    if target == hearing.status:
        return
    reason = refusal(hearing.status, target)
    if reason is not None:
        raise Conflict(reason)
    hearing.status = target
    if target == "in_session" and hearing.actual_start is None:
        hearing.actual_start = at
    if target == "closed":
        hearing.actual_end = at
