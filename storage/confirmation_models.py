"""Record confirmations: a party's signature on one version of a recording's court record.

At the end of a hearing each party reads the record on a tablet and signs it on the screen
(当事人确认庭审笔录并电子签名). The row names the party, the version confirmed (the SHA-256 of
the record's lines as shown to the party) and two stored objects beside the recording's
footage: the signature as drawn (PNG) and the installation's signed statement tying the party,
the record's version, the signature's bytes and the recording's manifest together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, new_id, utcnow


class RecordConfirmation(Base):
    __tablename__ = "record_confirmations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    party_name: Mapped[str] = mapped_column(String(200))
    party_role: Mapped[str] = mapped_column(String(32))
    record_sha256: Mapped[str] = mapped_column(String(64))  # the version the party confirmed
    record_lines: Mapped[int] = mapped_column(Integer)
    signature_key: Mapped[str] = mapped_column(String(512))
    signature_sha256: Mapped[str] = mapped_column(String(64))
    statement_key: Mapped[str] = mapped_column(String(512))
    statement_sha256: Mapped[str] = mapped_column(String(64))
    taken_by: Mapped[str] = mapped_column(String(200))  # the staff member holding the tablet
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
