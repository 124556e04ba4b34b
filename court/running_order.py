"""A sitting's running order as the people outside the courtroom see it: families waiting for
their case, screens in a prison between hearings.

Sealed hearings are left out altogether and the others numbered among themselves, so no gap
in the numbers tells that a hidden case is in the sitting. A hearing is named (case number,
case title, hearing title) only where the viewer may know it; otherwise only its place, its
state and when it should start are shown, as the public list shows a restricted hearing.

Each hearing still to be held gets an estimated start: the hearings shown before it take the
sitting's average so far (DEFAULT_HEARING_S before any has ended), counted from the hearing
in session's start, or from the sitting's planned start before it opens; never in the past.
Sealed hearings still to be held take no time in the estimate: a gap in the times would tell
that one is coming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.in_session import FINAL_STATUSES
from court.sittings import OrderEntry, running_order
from storage.models import Hearing
from storage.sitting_models import Sitting, SittingEntry

DEFAULT_HEARING_S = 20 * 60  # a parole or commutation hearing, before the sitting shows its own


@dataclass(frozen=True, slots=True)
class ShownEntry:
    number: int  # 1-based among the entries shown
    hearing_id: str
    case_number: str  # blank where the viewer may not know it
    case_title: str
    title: str
    visibility: str
    status: str
    current: bool  # the hearing in session of a running sitting
    estimated_start: datetime | None  # for hearings still to be held


@dataclass(frozen=True, slots=True)
class ShownOrder:
    sitting: Sitting
    entries: list[ShownEntry]
    upcoming: ShownEntry | None  # the next hearing still to be held


async def order_for(
    session: AsyncSession, sitting: Sitting, *, named: Callable[[Hearing], bool], now: datetime
) -> ShownOrder:
    """The sitting's running order as shown to a viewer who may know the hearings `named`."""
    entries = shown_order(sitting, await running_order(session, sitting), named=named, now=now)
    return ShownOrder(sitting, entries, next_shown(entries))


def publicly_named(hearing: Hearing) -> bool:
    """What anyone may know by name: public hearings (as the public list names them)."""
    return hearing.visibility == "public"


async def sitting_of(session: AsyncSession, hearing_id: str) -> Sitting | None:
    """The sitting that holds the hearing: a running or planned one first, else the latest."""
    sittings = list(
        await session.scalars(
            select(Sitting)
            .join(SittingEntry, SittingEntry.sitting_id == Sitting.id)
            .where(SittingEntry.hearing_id == hearing_id)
            .order_by(Sitting.scheduled_start.desc(), Sitting.id)
        )
    )
    open_ones = [s for s in sittings if s.status != "ended"]
    return next(iter(open_ones or sittings), None)


def shown_order(
    sitting: Sitting, order: list[OrderEntry], *, named: Callable[[Hearing], bool], now: datetime
) -> list[ShownEntry]:
    """The running order without its sealed hearings, each named only where `named` says."""
    starts = estimated_starts(sitting, order, now)
    shown: list[ShownEntry] = []
    for entry in order:
        hearing = entry.hearing
        if hearing.visibility == "sealed":
            continue
        known = named(hearing)
        shown.append(
            ShownEntry(
                number=len(shown) + 1,
                hearing_id=hearing.id,
                case_number=entry.case_number if known else "",
                case_title=entry.case_title if known else "",
                title=hearing.title if known else "",
                visibility=hearing.visibility,
                status=hearing.status,
                current=sitting.status == "running" and entry.position == sitting.position,
                estimated_start=starts.get(entry.position),
            )
        )
    return shown


def next_shown(entries: list[ShownEntry]) -> ShownEntry | None:
    """The first entry after the one in session (or the first at all) still to be held."""
    after = next((e.number for e in entries if e.current), 0)
    return next((e for e in entries if e.number > after and e.status not in FINAL_STATUSES), None)


def estimated_starts(
    sitting: Sitting, order: list[OrderEntry], now: datetime
) -> dict[int, datetime]:
    """Position -> when the hearing should start, for the hearings still to be held."""
    if sitting.status == "ended":
        return {}
    held = [
        (e.hearing.actual_end - e.hearing.actual_start).total_seconds()
        for e in order
        if e.hearing.actual_start and e.hearing.actual_end and e.hearing.visibility != "sealed"
    ]
    each = timedelta(seconds=sum(held) / len(held) if held else DEFAULT_HEARING_S)
    if sitting.status == "running" and sitting.position is not None:
        current = order[sitting.position].hearing
        at = max(now, (current.actual_start or now) + each)
        after = sitting.position
    else:
        at, after = max(now, sitting.scheduled_start), -1
    starts: dict[int, datetime] = {}
    for entry in order[after + 1 :]:
        if entry.hearing.status in FINAL_STATUSES or entry.hearing.visibility == "sealed":
            continue
        starts[entry.position] = at
        at += each
    return starts
