"""Who a token is and the courtrooms and cameras it may publish to."""

from __future__ import annotations

from pydantic import BaseModel

from api.schemas.courtrooms import CameraLabel
from court.principals import Role


class UsableCourtroom(BaseModel):
    id: str
    name: str
    cameras: list[str]
    camera_labels: dict[str, CameraLabel]
    evidence_sources: list[str]  # of `cameras`: a screen or a document camera


class MeOut(BaseModel):
    role: Role
    name: str
    courtroom_ids: list[str] | None  # null: every courtroom
    camera: str | None
    courtrooms: list[UsableCourtroom]
