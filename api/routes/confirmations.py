"""Parties confirm the record of a recording on a tablet (court/record_confirmations.py): the
record to read, the confirmation with the signature drawn on the screen, and the confirmations
checked again against every byte they speak for."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import RuntimeDep, SessionDep, Staff, VisibleRecording, Writer
from api.schemas.cases import PartyOut
from api.schemas.confirmations import (
    ConfirmationIn,
    ConfirmationOut,
    RecordLineOut,
    RecordToConfirmOut,
)
from court.errors import NotFound
from court.record_confirmations import (
    ConfirmationCheck,
    check_confirmations,
    confirm_record,
    record_version,
)
from storage.catalog import case_parties
from storage.confirmation_models import RecordConfirmation
from storage.models import Case, Hearing
from storage.objects import ObjectNotFound

router = APIRouter(prefix="/api/v1/recordings", tags=["record confirmations"])


@router.get("/{recording_id}/record", response_model=RecordToConfirmOut)
async def record_to_confirm(
    session: SessionDep, _: Staff, recording: VisibleRecording
) -> RecordToConfirmOut:
    """The record as a party reads it (no staff-only line) and its version, with the parties."""
    hearing = await session.get(Hearing, recording.hearing_id)
    case = await session.get(Case, hearing.case_id) if hearing else None
    assert hearing is not None and case is not None  # foreign keys
    version = await record_version(session, recording)
    parties = (await case_parties(session, case_ids=[case.id]))[case.id]
    return RecordToConfirmOut(
        recording_id=recording.id,
        case_number=case.number,
        case_title=case.title,
        hearing_title=hearing.title,
        sealed=recording.status != "recording" and bool(recording.manifest_sha256),
        sha256=version.sha256,
        lines=[RecordLineOut.model_validate(line) for line in version.lines],
        parties=[PartyOut(name=p.name, role=p.role) for p in parties],
    )


def confirmation_out(check: ConfirmationCheck) -> ConfirmationOut:
    row = check.confirmation
    return ConfirmationOut(
        id=row.id,
        party_name=row.party_name,
        party_role=row.party_role,
        record_sha256=row.record_sha256,
        record_lines=row.record_lines,
        confirmed_at=row.confirmed_at,
        taken_by=row.taken_by,
        statement_key=row.statement_key,
        statement_sha256=row.statement_sha256,
        verified=check.verified,
        problems=check.problems,
        current=check.current,
    )


@router.post(
    "/{recording_id}/confirmations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfirmationOut,
)
async def confirm(
    body: ConfirmationIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Writer,
    recording: VisibleRecording,
) -> ConfirmationOut:
    """A party signs the version of the record it was shown (409 if it changed since)."""
    row = await confirm_record(
        session,
        runtime.store,
        runtime.keyring,
        recording,
        party=(body.party_name.strip(), body.party_role.strip()),
        record_sha256=body.record_sha256,
        signature_png=body.signature_png,
        taken_by=principal.name,
    )
    return confirmation_out(ConfirmationCheck(row, [], True))


@router.get("/{recording_id}/confirmations", response_model=list[ConfirmationOut])
async def confirmations(
    session: SessionDep, runtime: RuntimeDep, _: Staff, recording: VisibleRecording
) -> list[ConfirmationOut]:
    """Who confirmed which version, each checked now against the bytes it speaks for."""
    checks = await check_confirmations(session, runtime.store, runtime.keyring, recording)
    return [confirmation_out(check) for check in checks]


@router.get("/{recording_id}/confirmations/{confirmation_id}/signature.png")
async def signature(
    confirmation_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Staff,
    recording: VisibleRecording,
) -> Response:
    """The signature as drawn, for the review page."""
    row = await session.get(RecordConfirmation, confirmation_id)
    if row is None or row.recording_id != recording.id:
        raise NotFound("confirmation not found")
    try:
        data = await runtime.store.get_bytes(row.signature_key)
    except ObjectNotFound as missing:
        raise NotFound("the signature image is missing from the store") from missing
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-store"})
