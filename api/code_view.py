"""An access code as the desk shows it: its terms, what it opens and how many devices use it."""

from __future__ import annotations

from api.schemas.broadcast import AccessCodeOut, NewAccessCode
from court.live.codes import IssuedCode
from court.runtime import Runtime
from storage.models import AccessCode


def code_out(row: AccessCode, runtime: Runtime) -> AccessCodeOut:
    return AccessCodeOut(
        id=row.id,
        hearing_id=row.hearing_id,
        case_id=row.case_id,
        label=row.label,
        expires_at=row.expires_at,
        max_viewers=row.max_viewers,
        revoked_at=row.revoked_at,
        created_at=row.created_at,
        watching=len(runtime.access_codes.devices(row.id)),
    )


def new_code_out(issued: IssuedCode, runtime: Runtime) -> NewAccessCode:
    """The new code's row and its digits, shown this once."""
    return NewAccessCode(**code_out(issued.row, runtime).model_dump(), code=issued.code)
