"""The court's public keys: anyone may fetch them, to check what the court signed.

Manifests, certified clips, audit checkpoints and e-dossier packages each name the
id of the key that signed them; earlier keys stay listed after a rotation, so what
was signed before keeps verifying.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RuntimeDep
from api.schemas.keys import PublicKeyOut, PublicKeys

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


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
