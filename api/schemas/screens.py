"""What a viewing point's kiosk page is told to show, and a sitting's running order as
families and screens see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.schemas.courtrooms import CameraLabel
from court.running_order import ShownEntry, ShownOrder


class ShownEntryOut(BaseModel):
    number: int  # 1-based among the hearings shown (sealed ones are left out)
    hearing_id: str
    case_number: str  # blank where the viewer may not know it
    case_title: str
    title: str
    visibility: str
    status: str
    current: bool
    estimated_start: datetime | None  # for hearings still to be held


class RunningOrderOut(BaseModel):
    title: str
    status: str  # planned, running, ended
    scheduled_start: datetime
    entries: list[ShownEntryOut]
    upcoming: ShownEntryOut | None  # the next hearing still to be held

    @classmethod
    def of(cls, order: ShownOrder) -> RunningOrderOut:
        def out(entry: ShownEntry) -> ShownEntryOut:
            return ShownEntryOut.model_validate(entry, from_attributes=True)

        return cls(
            title=order.sitting.title,
            status=order.sitting.status,
            scheduled_start=order.sitting.scheduled_start,
            entries=[out(entry) for entry in order.entries],
            upcoming=out(order.upcoming) if order.upcoming else None,
        )


class ScreenHearing(BaseModel):
    id: str
    case_number: str
    case_title: str
    title: str
    visibility: str
    status: str
    cameras: list[str]
    camera_labels: dict[str, CameraLabel]


class ScreenOut(BaseModel):
    id: str
    name: str
    place: str | None
    courtroom_id: str | None  # the courtroom it follows now
    courtroom: str | None
    hearing: ScreenHearing | None  # in session, and this screen may show it
    notice: str | None  # not_for_this_screen, broadcast_stopped
    sitting: RunningOrderOut | None
