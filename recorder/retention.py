"""Retention classes: how long a case type's recordings must be kept, and how strictly.

A court configures them as JSON (`COURTCAST_RETENTION_CLASSES`), e.g.
`{"criminal": {"years": 30, "mode": "COMPLIANCE"}, "default": {"years": 10, "mode": "GOVERNANCE"}}`.
Pure values and date math, so the rules are tested without a store or a clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from storage.objects import RetentionMode

DEFAULT_CLASS = "default"
MODES: tuple[RetentionMode, ...] = ("COMPLIANCE", "GOVERNANCE")
DEFAULT_RETENTION_CLASSES = json.dumps(
    {
        "criminal": {"years": 30, "mode": "COMPLIANCE"},
        "civil": {"years": 10, "mode": "GOVERNANCE"},
        DEFAULT_CLASS: {"years": 10, "mode": "GOVERNANCE"},
    }
)


@dataclass(frozen=True, slots=True)
class RetentionClass:
    name: str
    years: int
    mode: RetentionMode

    @classmethod
    def parse(cls, name: str, fields: Any) -> RetentionClass:
        """One entry of the JSON table; ValueError naming the class and what is wrong."""
        if not isinstance(fields, dict) or set(fields) != {"years", "mode"}:
            raise ValueError(f"retention class {name!r} must be an object with years and mode")
        years, mode = fields["years"], fields["mode"]
        if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 1000:
            raise ValueError(f"retention class {name!r}: years must be an integer 1..1000")
        if mode not in MODES:
            raise ValueError(f"retention class {name!r}: mode must be one of {', '.join(MODES)}")
        return cls(name=name, years=years, mode=cast(RetentionMode, mode))


def parse_retention_classes(text: str) -> dict[str, RetentionClass]:
    """The table by case type; it must define "default", the class of untyped cases."""
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"retention classes are not valid JSON: {exc}") from exc
    if not isinstance(table, dict):
        raise ValueError("retention classes must be a JSON object keyed by case type")
    if DEFAULT_CLASS not in table:
        raise ValueError(f"retention classes must define {DEFAULT_CLASS!r}")
    for name in table:
        if not name or len(name) > 32:
            raise ValueError(f"retention class name {name!r} must be 1..32 characters")
    return {name: RetentionClass.parse(name, fields) for name, fields in table.items()}


def class_for(classes: dict[str, RetentionClass], case_type: str) -> RetentionClass:
    """A case's class; "default" if its type was dropped from the settings since it was filed,
    so a recording never fails to start over configuration."""
    return classes.get(case_type, classes[DEFAULT_CLASS])


def retain_until(retention: RetentionClass, started_at: datetime) -> datetime:
    """`years` calendar years after the start; 29 February moves to 1 March of a common year,
    because retention is a minimum and must never end a day early."""
    try:
        return started_at.replace(year=started_at.year + retention.years)
    except ValueError:  # 29 February in a common year
        day_before = started_at - timedelta(days=1)
        return day_before.replace(year=day_before.year + retention.years) + timedelta(days=1)
