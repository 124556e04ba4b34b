"""The text a QR code is drawn from (api/routes/qr.py: why in the body)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QrIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "https://court.example/publish#token=cct_..."}]}
    )

    text: str = Field(min_length=1, max_length=1000)
