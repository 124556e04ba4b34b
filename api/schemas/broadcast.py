"""A hearing's broadcast controls (kill switch, delay, audience) and its access codes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.time_range import BoundedDatetime
from court.live.broadcasts import MAX_DELAY_S
from court.live.codes import CodeTerms
from court.principals import Principal


class BroadcastIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"on": True, "delay_s": 10}]})

    on: bool
    delay_s: float = Field(0.0, ge=0.0, le=MAX_DELAY_S)


class BroadcastOut(BaseModel):
    hearing_id: str
    on: bool
    delay_s: float
    viewers: dict[str, int]  # by camera, right now


class AccessCodeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"label": "张三的家属", "expires_at": "2026-11-26T12:00:00+08:00", "max_viewers": 2}
            ]
        }
    )

    label: str = Field(min_length=1, max_length=200)
    expires_at: BoundedDatetime | None = None
    max_viewers: int = Field(1, ge=1, le=1000)

    def terms(self, principal: Principal) -> CodeTerms:
        return CodeTerms(
            label=self.label,
            expires_at=self.expires_at,
            max_viewers=self.max_viewers,
            created_by=principal.name,
        )


class AccessCodeOut(BaseModel):
    id: str
    hearing_id: str | None  # a hearing's code, or
    case_id: str | None = None  # a case's: it opens every restricted hearing of the case
    label: str
    expires_at: datetime | None
    max_viewers: int
    revoked_at: datetime | None
    created_at: datetime
    watching: int  # devices in use: WHEP viewers and live HLS tickets


class NewAccessCode(AccessCodeOut):
    code: str  # shown once (1234-5678-9012); only its keyed hash is kept
