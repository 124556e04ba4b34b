"""API tokens: made with a role and courtrooms, the secret shown once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.time_range import BoundedDatetime
from court.principals import PLACES, Role


class TokenIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"role": "operator", "name": "第三法庭书记员", "courtroom_ids": []},
                {
                    "role": "camera",
                    "name": "审判席摄像机",
                    "courtroom_ids": ["9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d"],
                    "camera": "bench",
                    "expires_at": "2027-01-01T00:00:00+08:00",
                },
                {
                    "role": "screen",
                    "name": "三监区监舍大屏",
                    "courtroom_ids": ["9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d"],
                    "place": "cell_block",
                    "visibilities": ["public", "restricted"],
                },
            ]
        }
    )

    role: Role
    name: str = Field(min_length=1, max_length=200)
    courtroom_ids: list[str] = []
    camera: str | None = None
    expires_at: BoundedDatetime | None = None
    place: Literal[PLACES] | None = Field(  # type: ignore[valid-type]
        default=None, description="screens: the kind of place the viewing point is in"
    )
    visibilities: list[Literal["public", "restricted"]] | None = Field(
        default=None, description="screens: which hearings it may show in its courtrooms"
    )


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    courtroom_ids: list[str]
    camera: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    place: str | None = None
    visibilities: list[str] | None = None


class TokenCreated(TokenOut):
    token: str = Field(description="the secret: shown once, only its hash is kept")
