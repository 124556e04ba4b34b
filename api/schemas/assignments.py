"""Who is assigned to a hearing: the tokens that may see it when it is sealed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AssignmentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token_id": "3c2b1a0f9e8d4c7b6a5f4e3d2c1b0a9f"}]}
    )

    token_id: str


class AssignmentOut(BaseModel):
    hearing_id: str
    token_id: str
    name: str
    role: str
