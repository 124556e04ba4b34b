"""The audit log's tables: its chained entries and the signed checkpoints of its head.

Apart from the court's records (storage/models.py) because only the audit modules write them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class AuditEvent(Base):
    """One entry of the append-only audit log; `hash` chains it to every entry before it."""

    __tablename__ = "audit_events"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # "hmac-sha256" (keyed with the installation's secret) or "sha256" (entries from before)
    chain: Mapped[str] = mapped_column(String(16), default="hmac-sha256", server_default="sha256")


class AuditCheckpoint(Base):
    """A signed checkpoint of the audit chain's head, as written to the object store."""

    __tablename__ = "audit_checkpoints"

    object_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger, index=True)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[str | None] = mapped_column(String(128), default=None)
    key_id: Mapped[str] = mapped_column(String(32))
