"""Oversight for court leaders: figures of live viewing (court/oversight.py), supervision
figures by court, courtroom, judge or case type (court/supervision.py), and the archive access
log (court/access_log.py). Figures come as JSON, or CSV for a spreadsheet (`format=csv`, UTF-8
with a byte-order mark so Excel reads the Chinese names)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import SessionDep, require
from api.time_range import BoundedDatetime
from court.access_log import Access, archive_accesses
from court.errors import Invalid
from court.oversight import viewing_figures
from court.principals import Principal
from court.supervision import Dimension, GroupFigures, supervision_figures

router = APIRouter(prefix="/api/v1/oversight", tags=["oversight"])
Overseer = Annotated[Principal, Depends(require("admin", "judge", "supervisor"))]
MAX_PERIOD_DAYS = 400


def period_of(
    start: Annotated[BoundedDatetime, Query(alias="from", description="inclusive, ISO 8601")],
    end: Annotated[BoundedDatetime, Query(alias="to", description="exclusive, ISO 8601")],
) -> tuple[datetime, datetime]:
    """The period asked for: from before to, at most MAX_PERIOD_DAYS long."""
    if not start < end or (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid(f"from must come before to, at most {MAX_PERIOD_DAYS} days apart")
    return start, end


PeriodDep = Annotated[tuple[datetime, datetime], Depends(period_of)]


class RoomFiguresOut(BaseModel):
    courtroom_id: str
    courtroom: str
    kind: str
    hearings_held: int
    held_with_live_viewing: int
    viewing_points: int
    family_devices: int
    viewers: int
    viewing_minutes: float


@router.get("/viewing", response_model=list[RoomFiguresOut])
async def viewing(
    session: SessionDep,
    principal: Overseer,
    period: PeriodDep,
    courtroom_id: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> list[RoomFiguresOut] | Response:
    """Per courtroom: hearings held in the period (by actual start), those watched live, the
    viewing points and family devices that watched, all viewers and their minutes. Sealed
    hearings count only for those who may see them."""
    start, end = period
    figures = await viewing_figures(
        session, principal, start=start, end=end, courtroom_id=courtroom_id
    )
    rows = [RoomFiguresOut(**asdict(row)) for row in figures]
    if format == "csv":
        return csv_response(rows, list(RoomFiguresOut.model_fields), "viewing-figures.csv")
    return rows


class GroupFiguresOut(BaseModel):
    group: str  # the court's or courtroom's name, the presiding judge, the case type
    hearings_held: int
    recorded: int
    share_recorded: float
    livestreamed: int
    share_livestreamed: float
    gaps: int
    gap_minutes: float
    off_record_minutes: float
    off_record_reasons: dict[str, float]  # reason -> minutes
    peak_viewers: int
    total_viewers: int

    @classmethod
    def of(cls, row: GroupFigures) -> GroupFiguresOut:
        return cls(
            group=row.group,
            hearings_held=row.hearings_held,
            recorded=row.recorded,
            share_recorded=round(row.share_recorded, 3),
            livestreamed=row.livestreamed,
            share_livestreamed=round(row.share_livestreamed, 3),
            gaps=row.gaps,
            gap_minutes=round(row.gap_minutes, 1),
            off_record_minutes=round(row.off_record_minutes, 1),
            off_record_reasons={k: round(v, 1) for k, v in row.off_record_reasons.items()},
            peak_viewers=row.peak_viewers,
            total_viewers=row.total_viewers,
        )


@router.get("/supervision", response_model=list[GroupFiguresOut])
async def supervision(
    session: SessionDep,
    principal: Overseer,
    period: PeriodDep,
    by: Dimension = "courtroom",
    format: Literal["json", "csv"] = "json",
) -> list[GroupFiguresOut] | Response:
    """Per court, courtroom, presiding judge or case type (`by`): hearings held in the period,
    recorded, livestreamed (watched live by someone not staff), recording gaps, off-record
    minutes by reason, the most viewers at once and all viewers. Sealed hearings count only
    for those who may see them."""
    start, end = period
    figures = await supervision_figures(session, principal, start=start, end=end, by=by)
    rows = [GroupFiguresOut.of(row) for row in figures]
    if format == "csv":
        return csv_response(rows, list(GroupFiguresOut.model_fields), f"supervision-{by}.csv")
    return rows


@router.get("/access-log", response_model=list[Access])
async def access_log(
    session: SessionDep,
    principal: Overseer,
    period: PeriodDep,
) -> list[Access]:
    """Who opened which hearing's archived footage in the period, newest first (at most
    1,000): the hearings the caller may see, in its courtrooms."""
    start, end = period
    return await archive_accesses(session, principal, start=start, end=end)


def csv_response(rows: Sequence[BaseModel], columns: list[str], filename: str) -> Response:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        values = row.model_dump()
        writer.writerow(
            [
                json.dumps(values[c], ensure_ascii=False)
                if isinstance(values[c], dict)
                else values[c]
                for c in columns
            ]
        )
    return Response(
        ("\ufeff" + text.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
