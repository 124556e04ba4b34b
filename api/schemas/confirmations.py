"""A recording's record as parties confirm it, and their confirmations
(court/record_confirmations.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Base64Bytes, BaseModel, Field

from api.schemas.cases import PartyOut


class RecordLineOut(BaseModel):
    id: str
    at: datetime
    speaker_role: str
    text: str


class RecordToConfirmOut(BaseModel):
    recording_id: str
    case_number: str
    case_title: str
    hearing_title: str
    sealed: bool  # stopped and its manifest signed: parties may confirm
    sha256: str  # the version shown: send it back with the confirmation
    lines: list[RecordLineOut]
    parties: list[PartyOut]


class ConfirmationIn(BaseModel):
    party_name: str = Field(min_length=1, max_length=200)
    party_role: str = Field(min_length=1, max_length=32)
    record_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the version shown")
    signature_png: Base64Bytes = Field(description="the signature as drawn, a PNG, base64")


class ConfirmationOut(BaseModel):
    id: str
    party_name: str
    party_role: str
    record_sha256: str
    record_lines: int
    confirmed_at: datetime
    taken_by: str
    statement_key: str
    statement_sha256: str
    verified: bool  # checked now: statement signature, and every byte it speaks for
    problems: list[str]
    current: bool  # the record still reads as the version confirmed
