"""Retention classes: parsing with precise errors, and dates that never end a day early."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from recorder.retention import (
    DEFAULT_RETENTION_CLASSES,
    RetentionClass,
    class_for,
    parse_retention_classes,
    retain_until,
)


def test_default_table_parses() -> None:
    classes = parse_retention_classes(DEFAULT_RETENTION_CLASSES)
    assert classes == {
        "criminal": RetentionClass("criminal", 30, "COMPLIANCE"),
        "civil": RetentionClass("civil", 10, "GOVERNANCE"),
        "default": RetentionClass("default", 10, "GOVERNANCE"),
    }


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"criminal": {"years": 30, "mode": "COMPLIANCE"}}', "must define 'default'"),
        ('{"default": {"years": 10}}', "'default' must be an object with years and mode"),
        ('{"default": 10}', "'default' must be an object with years and mode"),
        ('{"default": {"years": 0, "mode": "GOVERNANCE"}}', "years must be an integer"),
        ('{"default": {"years": true, "mode": "GOVERNANCE"}}', "years must be an integer"),
        ('{"default": {"years": 2.5, "mode": "GOVERNANCE"}}', "years must be an integer"),
        ('{"default": {"years": 10, "mode": "governance"}}', "mode must be one of"),
        (
            json.dumps({"default": {"years": 1, "mode": "GOVERNANCE"}, "x" * 33: {}}),
            "must be 1..32 characters",
        ),
    ],
)
def test_bad_tables_are_refused_with_the_reason(table: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_retention_classes(table)


def test_unknown_case_type_falls_back_to_default() -> None:
    classes = parse_retention_classes(DEFAULT_RETENTION_CLASSES)
    assert class_for(classes, "criminal").years == 30
    assert class_for(classes, "dropped-since").name == "default"


@pytest.mark.parametrize(
    ("started", "years", "until"),
    [
        (datetime(2026, 3, 14, 9, 30, tzinfo=UTC), 30, datetime(2056, 3, 14, 9, 30, tzinfo=UTC)),
        # 2034 has no 29 February: the day after 28 February, never a day short
        (datetime(2024, 2, 29, 23, 59, tzinfo=UTC), 10, datetime(2034, 3, 1, 23, 59, tzinfo=UTC)),
        (datetime(2024, 2, 29, 8, 0, tzinfo=UTC), 4, datetime(2028, 2, 29, 8, 0, tzinfo=UTC)),
        (datetime(2023, 2, 28, 8, 0, tzinfo=UTC), 1, datetime(2024, 2, 28, 8, 0, tzinfo=UTC)),
    ],
)
def test_retain_until_adds_calendar_years(started: datetime, years: int, until: datetime) -> None:
    assert retain_until(RetentionClass("c", years, "COMPLIANCE"), started) == until
