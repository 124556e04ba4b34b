"""What a clerk's browser saves a clip as: case number, camera and court time, not ids.

The name travels in `Content-Disposition` as RFC 6266 says: `filename*` in UTF-8 (a case
number is Chinese: `（2026）湘04民初123号`) and a plain `filename` for clients that read only
ASCII. Characters no file system accepts, and anything that could be read as a path, become
`_`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')
NAME_MAX = 120  # characters before the extension: well under any file system's 255 bytes


def _safe(text: str) -> str:
    """`text` as one file-name component (never empty, never `.` or `..`)."""
    safe = UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip("._")
    return safe[:NAME_MAX] or "_"


def clip_name(*, case_number: str, camera: str, starts_at: datetime, zone: ZoneInfo) -> str:
    """E.g. `（2026）湘04民初123号_witness_2026-12-01_143005.mp4`, in the court's time."""
    local = starts_at.astimezone(zone)
    return f"{_safe(case_number)}_{_safe(camera)}_{local:%Y-%m-%d_%H%M%S}.mp4"


def content_disposition(filename: str) -> str:
    """An attachment named `filename`, with an ASCII fallback made of what is left of it."""
    decomposed = unicodedata.normalize("NFKD", filename)  # full-width （２０２６） -> (2026)
    ascii_name = "".join(c if c.isascii() else "_" for c in decomposed)
    ascii_name = re.sub(r"_+", "_", _safe(ascii_name)).lstrip("_") or "clip.mp4"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
