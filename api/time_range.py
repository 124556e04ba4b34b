"""The dates and times the API accepts: a range Python and both databases hold with room to spare.

Python's datetime stops at years 1 and 9999, so `0001-01-01T00:01:00+21:00`
parses but overflows when converted to UTC, and `9999-12-31` overflows as soon
as a route adds a day to it. Every date or time a client sends is therefore
checked into 1900-01-01 .. 2999-12-31 (UTC) and refused with 422 outside it,
before any route does arithmetic or asks the database. A time without a UTC
offset is refused too: a court's wall clock and UTC differ by hours, and
guessing which one was meant would file a hearing at the wrong time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
END = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive
RANGE = "from 1900-01-01 to 2999-12-31 (UTC)"


def within_range(moment: datetime) -> datetime:
    """`moment` unchanged if it lies in the range; ValueError (422) otherwise."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time must be {RANGE}") from None
    if not EARLIEST <= utc < END:
        raise ValueError(f"time must be {RANGE}")
    return moment


def day_within_range(day: date) -> date:
    if not EARLIEST.date() <= day < END.date():
        raise ValueError(f"date must be {RANGE}")
    return day


BoundedDatetime = Annotated[AwareDatetime, AfterValidator(within_range)]
"""An ISO 8601 time with its UTC offset, within the range above."""

BoundedDate = Annotated[date, AfterValidator(day_within_range)]
"""A calendar day (YYYY-MM-DD) within the range above."""
