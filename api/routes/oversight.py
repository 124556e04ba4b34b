"""Oversight figures of live viewing (court/oversight.py), for court leaders: JSON, or CSV for
a spreadsheet (`format=csv`, UTF-8 with a byte-order mark so Excel reads the Chinese names)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import SessionDep, require
from api.time_range import BoundedDatetime
from court.errors import Invalid
from court.oversight import RoomFigures, viewing_figures
from court.principals import Principal

router = APIRouter(prefix="/api/v1/oversight", tags=["oversight"])
Overseer = Annotated[Principal, Depends(require("admin", "judge"))]
MAX_PERIOD_DAYS = 400


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
    start: Annotated[BoundedDatetime, Query(alias="from", description="inclusive, ISO 8601")],
    end: Annotated[BoundedDatetime, Query(alias="to", description="exclusive, ISO 8601")],
    courtroom_id: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> list[RoomFiguresOut] | Response:
    """Per courtroom: hearings held in the period (by actual start), those watched live, the
    viewing points and family devices that watched, all viewers and their minutes. Sealed
    hearings count only for those who may see them."""
    if not start < end or (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid(f"from must come before to, at most {MAX_PERIOD_DAYS} days apart")
    figures = await viewing_figures(
        session, principal, start=start, end=end, courtroom_id=courtroom_id
    )
    if format == "csv":
        return Response(
            as_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="viewing-figures.csv"'},
        )
    return [RoomFiguresOut(**asdict(row)) for row in figures]


def as_csv(figures: list[RoomFigures]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([field.name for field in fields(RoomFigures)])
    for row in figures:
        writer.writerow(asdict(row).values())
    return ("\ufeff" + text.getvalue()).encode("utf-8")
