"""A stopped track's archive playlist entries, kept in the index as the text they render to
(compressed: a 4-hour track's 684 KB is 39 KB).

A 4-hour track is 7,200 entries: listing and rendering them takes 0.1 s of the event loop on a
quiet machine and half a second on a busy one. Each process keeps what it rendered in memory
(court/playback_cache.py), but a server start, or another worker process, would render every
track again on its first seek; kept here, that first seek reads one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class KeptPlaylist(Base):
    """One track's entries, under a digest of what they were rendered from and how: a row
    whose digest differs from the track's rows now is rendered again, never served."""

    __tablename__ = "kept_playlists"

    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(64))
    entries: Mapped[bytes] = mapped_column(LargeBinary)  # zlib
    target_s: Mapped[int | None] = mapped_column(Integer)
    current_map: Mapped[str | None] = mapped_column(Text)
    kept_at: Mapped[datetime]
