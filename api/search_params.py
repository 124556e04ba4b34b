"""The query parameters `GET /api/v1/hearings` and `GET /api/v1/recordings` share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.time_range import BoundedDatetime
from court.principals import Principal
from court.visibility import search_scope
from storage.search import Page, Row, SearchFilters


class SearchQuery(BaseModel):
    """Filters combine with AND; text filters match a substring, case-insensitively."""

    case_id: str | None = None
    case_number: str | None = Field(
        default=None,
        max_length=100,
        description="any part of the case number, full-width or half-width",
    )
    party: str | None = Field(
        default=None, max_length=200, description="part of a party name, or of the case title"
    )
    judge: str | None = Field(default=None, max_length=200, description="the presiding judge")
    courtroom_id: str | None = None
    date_from: BoundedDatetime | None = Field(default=None, description="inclusive")
    date_to: BoundedDatetime | None = Field(default=None, description="inclusive")
    visibility: Literal["public", "restricted", "sealed"] | None = None
    status: str | None = Field(default=None, max_length=16)
    q: str | None = Field(
        default=None,
        max_length=200,
        description="words in case or hearing titles, markers or transcript lines",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500, description="`next` of a page")
    offset: int = Field(default=0, ge=0, le=100_000, description="ignored with a cursor")

    def filters(self, principal: Principal) -> SearchFilters:
        """Blank text parameters mean "any", as when they are left out."""

        def text(value: str | None) -> str | None:
            return value.strip() or None if value else None

        return SearchFilters(
            case_id=self.case_id,
            case_number=text(self.case_number),
            party=text(self.party),
            judge=text(self.judge),
            courtroom_id=self.courtroom_id,
            date_from=self.date_from,
            date_to=self.date_to,
            visibility=self.visibility,
            status=self.status,
            q=text(self.q),
            **search_scope(principal),
        )


async def run_search(
    search: Callable[..., Awaitable[Page[Row]]],
    session: AsyncSession,
    query: SearchQuery,
    principal: Principal,
) -> Page[Row]:
    """Run one of storage.search's searches; a cursor it did not write is a 422."""
    try:
        return await search(
            session,
            filters=query.filters(principal),
            limit=query.limit,
            cursor=query.cursor,
            offset=query.offset,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
