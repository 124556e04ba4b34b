"""The court's public keys: anyone may fetch them, to check what the court signed.

Manifests, certified clips, audit checkpoints and e-dossier packages each name the
id of the key that signed them; earlier keys stay listed after a rotation, so what
was signed before keeps verifying.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import RuntimeDep

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


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


@router.get("", response_model=PublicKeys)
async def public_keys(runtime: RuntimeDep) -> PublicKeys:
    ring = runtime.keyring
    current = ring.current_id
    return PublicKeys(
        current=current,
        keys=[
            PublicKeyOut(
                id=entry.id,
                algorithm="Ed25519",
                public_key_pem=entry.pem,
                created_at=entry.created_at,
                retired_at=entry.retired_at,
                current=entry.id == current,
            )
            for entry in ring.keys
        ],
    )
