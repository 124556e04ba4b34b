"""The record in the room as shown (court/live/shown_record.py) and the courtroom's display
(court/live/room_display.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.schemas.cases import PartyOut


class ShownLineOut(BaseModel):
    id: str
    at: datetime
    speaker_role: str
    text: str
    corrected: bool


class ShownRecordOut(BaseModel):
    version: int  # ask again with ?after=<version> to wait for the next change
    lines: list[ShownLineOut]


class DisplayedHearingOut(BaseModel):
    id: str
    case_number: str
    case_title: str
    title: str
    parties: list[PartyOut]
    exhibit: str | None


class DisplayOut(BaseModel):
    courtroom: str
    hearing: DisplayedHearingOut | None  # the hearing in session this display may show
    notice: str | None  # not_for_this_display, broadcast_stopped
