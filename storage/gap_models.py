"""The index's gaps: where a camera's footage stops, why, and which footage ends the gap
(storage/gaps.py opens and closes them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id


class Gap(Base):
    """Time a camera (or the whole recording, camera None) was not recorded, and why."""

    __tablename__ = "gaps"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    camera: Mapped[str | None] = mapped_column(String(64), default=None)
    reason: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    # the camera's footage before the gap is numbered up to this epoch: the gap ends at its
    # first segment numbered past it, whichever process indexes that (None: before 0025)
    after_epoch: Mapped[int | None] = mapped_column(default=None)
