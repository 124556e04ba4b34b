"""Figures for court leaders supervising hearings (日监控、月通报、季分析): per court, courtroom,
presiding judge or case type over a period, how many hearings were held, how many of them were
recorded and livestreamed, the recording gaps and off-record minutes with their reasons, and
their live audience (the most viewers at once, and all viewers).

"Livestreamed" is a fact the server saw: at least one viewer who is not staff watched it live
(the viewing log, court/live/viewing_log.py). A hearing counts in the period its actual start
falls in; a caller sees only the courtrooms its token may use and, of sealed hearings, those
it may see (an admin, or a token assigned to them): no count tells a hidden hearing was held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.courtrooms import list_courtrooms
from court.oversight import held_hearings, viewing_sessions
from court.principals import Principal
from court.replays import off_record_periods
from storage.gap_models import Gap
from storage.models import Case, Court, Courtroom, Hearing, Recording
from storage.viewing_models import ViewingSession

Dimension = Literal["court", "courtroom", "judge", "case_type"]
DIMENSIONS: tuple[Dimension, ...] = ("court", "courtroom", "judge", "case_type")


@dataclass(slots=True)
class GroupFigures:
    group: str  # the court's or courtroom's name, the presiding judge, the case type
    hearings_held: int = 0
    recorded: int = 0
    livestreamed: int = 0
    gaps: int = 0
    gap_minutes: float = 0.0
    off_record_minutes: float = 0.0
    off_record_reasons: dict[str, float] = field(default_factory=dict)  # reason -> minutes
    peak_viewers: int = 0  # the most viewers at once in any one of its hearings
    total_viewers: int = 0

    @property
    def share_recorded(self) -> float:
        return self.recorded / self.hearings_held if self.hearings_held else 0.0

    @property
    def share_livestreamed(self) -> float:
        return self.livestreamed / self.hearings_held if self.hearings_held else 0.0


async def supervision_figures(
    session: AsyncSession, principal: Principal, *, start: datetime, end: datetime, by: Dimension
) -> list[GroupFigures]:
    """One row per group with at least one hearing held, in the order first met."""
    rooms = {room.id: room for room in await list_courtrooms(session, only=principal.courtroom_ids)}
    held = await held_hearings(session, principal, list(rooms), start=start, end=end)
    groups: dict[str, GroupFigures] = {}
    now = datetime.now(UTC)
    for hearing in held:
        key, name = await _group_of(session, hearing, rooms[hearing.courtroom_id], by)
        figures = groups.setdefault(key, GroupFigures(name))
        figures.hearings_held += 1
        recordings = list(
            await session.scalars(select(Recording).where(Recording.hearing_id == hearing.id))
        )
        figures.recorded += bool(recordings)
        for recording in recordings:
            gaps = await session.scalars(select(Gap).where(Gap.recording_id == recording.id))
            for gap in gaps:
                figures.gaps += 1
                until = gap.ended_at or recording.stopped_at or now
                figures.gap_minutes += _minutes(gap.started_at, until)
        for period in await off_record_periods(session, hearing.id):
            minutes = _minutes(period.start, period.end)
            figures.off_record_minutes += minutes
            reason = period.reason or "—"
            figures.off_record_reasons[reason] = figures.off_record_reasons.get(reason, 0) + minutes
        watched = await viewing_sessions(session, [hearing.id])
        figures.livestreamed += bool(watched)
        figures.total_viewers += len(watched)
        figures.peak_viewers = max(figures.peak_viewers, _peak(watched, now))
    return list(groups.values())


async def _group_of(
    session: AsyncSession, hearing: Hearing, room: Courtroom, by: Dimension
) -> tuple[str, str]:
    """The group's key (rooms and courts by id: two rooms may share a name) and its name."""
    if by == "courtroom":
        return room.id, room.name
    if by == "court":
        court = await session.get(Court, room.court_id)
        return room.court_id, court.name if court else ""
    if by == "judge":
        judge = hearing.presiding_judge or ""
        return judge, judge
    case = await session.get(Case, hearing.case_id)
    case_type = case.case_type if case else ""
    return case_type, case_type


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def _peak(watched: list[ViewingSession], now: datetime) -> int:
    """The most viewers watching at the same moment (a viewer cut off by a crash: until now)."""
    moments = sorted(
        [(row.started_at, 1) for row in watched] + [(row.ended_at or now, -1) for row in watched],
        key=lambda moment: (moment[0], moment[1]),  # one leaving before another joins at once
    )
    peak = current = 0
    for _, step in moments:
        current += step
        peak = max(peak, current)
    return peak
