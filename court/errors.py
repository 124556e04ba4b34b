"""What the court's rules refuse, in the court's words; `api/` maps each kind to HTTP once.

A refusal carries the English `detail` a person reads, an optional machine `code` a page
translates (the `X-Courtcast-Error` header), and for rate limits the seconds to wait. No
status codes here: whether "not found" is a 404 or a closed WHIP resource is the API's call.
"""

from __future__ import annotations


class CourtError(Exception):
    """Base of every refusal the court's rules make."""

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class NotFound(CourtError):
    """Nothing by that id the caller may see (a sealed hearing looks exactly like this)."""


class Unauthorized(CourtError):
    """The caller must say who it is first (a token, or a restricted hearing's access code)."""


class Forbidden(CourtError):
    """The caller is known but may not do this."""


class Conflict(CourtError):
    """The request clashes with the state of things (a camera already publishing, ...)."""


class Invalid(CourtError):
    """The request names things that cannot be (an unknown case, a range backwards, ...)."""


class Unavailable(CourtError):
    """The court cannot serve this now, through no fault of the request (store down, ...)."""


class TooMany(CourtError):
    """Too many attempts: wait `retry_after_s` before the next."""

    def __init__(self, detail: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = retry_after_s


class OutOfRoom(CourtError):
    """The machine lacks the disk this needs (the footage must be copied before it is sent)."""
