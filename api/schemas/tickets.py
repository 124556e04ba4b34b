"""An access code exchanged for a viewer ticket (the code travels once, in a JSON body)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TicketIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "1234-5678-9012"}]})

    code: str = Field(min_length=1, max_length=64)


class TicketOut(BaseModel):
    hearing_id: str
    expires_at: datetime  # the cookie's; each live playlist fetch or WHEP join renews it
