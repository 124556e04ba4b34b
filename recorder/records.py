"""Moving to `storage.archive`: kept only until spool, recovery and session import it there."""

from __future__ import annotations

from storage.archive import (
    InitRecord,
    ObjectRecord,
    SegmentRecord,
    content_type_of,
)
from storage.archive import (
    object_record_from_json as record_from_json,
)

__all__ = [
    "InitRecord",
    "ObjectRecord",
    "SegmentRecord",
    "content_type_of",
    "record_from_json",
    "record_to_json",
]


def record_to_json(record: ObjectRecord) -> str:
    return record.to_json()
