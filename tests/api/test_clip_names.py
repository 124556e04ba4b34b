"""A clip's download name: case number, camera and court time, safe on every file system."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from api.clip_names import clip_name, content_disposition

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 1, 6, 30, 5, tzinfo=UTC)


def test_named_by_case_camera_and_court_time() -> None:
    name = clip_name(
        case_number="（2026）湘04民初123号", camera="witness", starts_at=AT, zone=SHANGHAI
    )
    assert name == "（2026）湘04民初123号_witness_2026-12-01_143005.mp4"


@pytest.mark.parametrize(
    ("case_number", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ('a"b\r\nc', "a_b_c"),
        ("..", "_"),
        ("x" * 300, "x" * 120),
    ],
)
def test_nothing_a_file_system_or_header_would_misread(case_number: str, expected: str) -> None:
    name = clip_name(case_number=case_number, camera="bench", starts_at=AT, zone=SHANGHAI)
    assert name == f"{expected}_bench_2026-12-01_143005.mp4"


def test_rfc_6266_utf8_name_with_an_ascii_fallback() -> None:
    name = "（2026）湘04民初123号_witness_2026-12-01_143005.mp4"
    header = content_disposition(name)
    fallback, encoded = header.removeprefix("attachment; ").split("; ")
    assert fallback == 'filename="(2026)_04_123_witness_2026-12-01_143005.mp4"'
    assert encoded.startswith("filename*=UTF-8''")
    assert unquote(encoded.removeprefix("filename*=UTF-8''")) == name
    assert header.isascii()
