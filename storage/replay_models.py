"""Replays: a closed hearing published for watching afterwards, for a set number of days.

Apart from the court's records (storage/models.py) because court/replays.py alone writes them.
One row per hearing: publishing again replaces its terms; withdrawing stamps `withdrawn_at`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class Replay(Base):
    __tablename__ = "replays"

    hearing_id: Mapped[str] = mapped_column(ForeignKey("hearings.id"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))  # public, or codes (the case's holders)
    expires_at: Mapped[datetime]
    published_by: Mapped[str | None] = mapped_column(String(200), default=None)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
