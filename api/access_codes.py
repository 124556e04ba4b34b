"""The request side of access codes (court/live/access_codes.py holds the rules).

Reads what a request presents (its ticket cookie, a typed `?code=`, its address and path) and
writes the ticket cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends
it), Secure when the code came over HTTPS. A ticket refused with its code is cleared by the
one refusal handler (api/court_errors.py) through `forgotten_ticket_headers`.
"""

from __future__ import annotations

from fastapi import Request, Response

from court.errors import CourtError
from court.live.access_codes import AccessCodeDesk, CodePass, CodeRefused, Presented
from court.live.tickets import cookie_name


def presented(request: Request, hearing_id: str, *, typed: str | None = None) -> Presented:
    """What `request` brings for `hearing_id`; `typed` defaults to its `?code=`."""
    return Presented(
        address=request.client.host if request.client else "",
        path=request.url.path,
        ticket=request.cookies.get(cookie_name(hearing_id)) or None,
        typed=request.query_params.get("code") if typed is None else typed,
        secure=request.url.scheme == "https",
    )


def renew(desk: AccessCodeDesk, response: Response, code_pass: CodePass, hearing_id: str) -> int:
    """Give the holder a fresh ticket cookie; returns its expiry (Unix time)."""
    value, expires = desk.renew(code_pass, hearing_id)
    response.headers.append(
        "Set-Cookie",
        ticket_cookie(hearing_id, value, max_age=desk.ticket_s, secure=code_pass.secure),
    )
    return expires


def ticket_cookie(hearing_id: str, value: str, *, max_age: int, secure: bool = False) -> str:
    """The Set-Cookie value of a hearing's ticket (an empty value with Max-Age=0 clears it)."""
    parts = [
        f"{cookie_name(hearing_id)}={value}",
        "Path=/",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def forgotten_ticket_headers(error: CourtError) -> dict[str, str]:
    """The header that clears a ticket which died with its code, so the page asks again."""
    if isinstance(error, CodeRefused) and error.forget_ticket:
        return {"Set-Cookie": ticket_cookie(error.hearing_id, "", max_age=0)}
    return {}
