"""Sittings (开庭批次): an ordered list of hearings one courtroom holds back to back.

Apart from the court's records (storage/models.py) because court/sittings.py alone writes them.
A sitting's `position` is the index of its entry in session while it runs; entries keep the
order the operator gave, and a hearing appears at most once in a sitting.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id, utcnow

SITTING_STATUSES = ("planned", "running", "ended")


class Sitting(Base):
    __tablename__ = "sittings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    courtroom_id: Mapped[str] = mapped_column(ForeignKey("courtrooms.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    scheduled_start: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class SittingEntry(Base):
    """One hearing's place in a sitting's running order."""

    __tablename__ = "sitting_entries"
    __table_args__ = (UniqueConstraint("sitting_id", "hearing_id"),)

    sitting_id: Mapped[str] = mapped_column(ForeignKey("sittings.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    hearing_id: Mapped[str] = mapped_column(ForeignKey("hearings.id"), index=True)
