"""The nodes of an installation, as admins see them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NodeOut(BaseModel):
    id: str
    url: str
    seen_at: datetime
    draining: bool
    cameras: int  # publishing to it now
    courtrooms: list[str]  # whose live media it holds
