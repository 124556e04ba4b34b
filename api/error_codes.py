"""Refusals a page says in its own language: the English `detail` stays for people reading
the API and logs, and the `X-Courtcast-Error` header names the reason for the page's locale
table (`error.<code>`), so a page never shows English detail under a Chinese heading."""

from __future__ import annotations

from fastapi import HTTPException

ERROR_HEADER = "X-Courtcast-Error"


def refusal(
    status_code: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> HTTPException:
    """An HTTP refusal whose reason a page can translate by `code`."""
    return HTTPException(status_code, detail, headers={ERROR_HEADER: code, **(headers or {})})
