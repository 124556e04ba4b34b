"""The program feed a courtroom's court chose (court/program.py), kept so that it outlives the
process that switches it: a restart, or another node taking the courtroom over, puts the same
source (or the slate) back on air before any viewer is let in, instead of letting the public
pick cameras the court had chosen not to show.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class CourtroomProgram(Base):
    """A row while the room has a program; none: viewers watch the cameras."""

    __tablename__ = "courtroom_programs"

    courtroom_id: Mapped[str] = mapped_column(ForeignKey("courtrooms.id"), primary_key=True)
    chosen: Mapped[str] = mapped_column(String(64))  # a camera of the room, or "recess"
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(200))
