"""Who watched what live, and for how long: one row per WHEP viewer, for oversight figures
(viewing points and family devices connected, viewing minutes) and the families' audit.

Apart from the court's records (storage/models.py) because court/live/viewing_log.py alone
writes them. Staff previews are not an audience and are not kept. `ended_at` stays empty for a
viewer a crash cut off; the figures count such a viewer up to its start only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class ViewingSession(Base):
    __tablename__ = "viewing_sessions"
    __table_args__ = (Index("ix_viewing_sessions_hearing_started", "hearing_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the WHEP viewer's id
    hearing_id: Mapped[str] = mapped_column(String(32))
    courtroom_id: Mapped[str] = mapped_column(String(32), index=True)
    camera: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # public, code, screen
    code_id: Mapped[str | None] = mapped_column(String(32), default=None)
    device_id: Mapped[str | None] = mapped_column(String(64), default=None)
    screen_id: Mapped[str | None] = mapped_column(String(32), default=None)  # a screen's token
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
