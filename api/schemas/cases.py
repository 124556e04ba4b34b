"""A case, its parties and its legal hold."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=32, description="e.g. 原告, 被告, plaintiff")


class PartyOut(BaseModel):
    name: str
    role: str


class CaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "(2026)湘04民初123号",
                    "title": "张三诉李四合同纠纷",
                    "parties": [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}],
                }
            ]
        }
    )

    number: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=2000)
    court_id: str | None = None
    case_type: str = Field(default="default", min_length=1, max_length=32)  # a retention class
    parties: list[PartyIn] = Field(default=[], max_length=200)


class CasePatch(BaseModel):
    """Fields left out stay as they are; `parties`, when given, replaces the whole list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "张三诉李四合同纠纷",
                    "parties": [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}],
                }
            ]
        }
    )

    title: str | None = Field(default=None, min_length=1, max_length=2000)
    parties: list[PartyIn] | None = Field(default=None, max_length=200)


class CaseOut(BaseModel):
    id: str
    court_id: str
    number: str
    title: str
    case_type: str
    legal_hold: bool
    created_at: datetime
    parties: list[PartyOut] = []


class LegalHoldIn(BaseModel):
    on: bool
