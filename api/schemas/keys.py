"""The court's public keys, as anyone may fetch them to check what the court signed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PublicKeyOut(BaseModel):
    id: str
    algorithm: str
    public_key_pem: str
    created_at: datetime
    retired_at: datetime | None
    current: bool


class PublicKeys(BaseModel):
    current: str
    keys: list[PublicKeyOut]
