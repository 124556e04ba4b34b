"""The audit log as administrators page through it, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventOut(BaseModel):
    sequence: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    source: str
    details: dict[str, Any]
    hash: str
    chain: str  # "hmac-sha256" (keyed with the installation's secret) or "sha256" (legacy)


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_before: int | None  # pass as `before` for the next (older) page
