"""Refusals a page says in its own language: the English `detail` stays for people reading
the API and logs, and the `X-Courtcast-Error` header names the reason for the page's locale
table (`error.<code>`), so a page never shows English detail under a Chinese heading.
Court refusals carry the reason as their `code` (court/errors.py); api/court_errors.py puts it
in this header."""

from __future__ import annotations

ERROR_HEADER = "X-Courtcast-Error"
