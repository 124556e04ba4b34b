"""The one place the court's refusals (court/errors.py) become HTTP answers."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from api.access_codes import forgotten_ticket_headers
from api.error_codes import ERROR_HEADER
from court.errors import (
    Conflict,
    CourtError,
    Forbidden,
    Invalid,
    NotFound,
    OutOfRoom,
    TooMany,
    Unauthorized,
    Unavailable,
)

STATUS_OF: dict[type[CourtError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Unauthorized: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    Invalid: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    TooMany: status.HTTP_429_TOO_MANY_REQUESTS,
    OutOfRoom: status.HTTP_507_INSUFFICIENT_STORAGE,
}


def http_status(error: CourtError) -> int:
    """The status of the nearest kind `error` is; a bare CourtError is a 400."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return status.HTTP_400_BAD_REQUEST


def error_headers(error: CourtError) -> dict[str, str]:
    headers = {ERROR_HEADER: error.code} if error.code else {}
    if isinstance(error, TooMany):
        headers["Retry-After"] = str(error.retry_after_s)
    return headers | forgotten_ticket_headers(error)


def install_court_errors(app: FastAPI) -> None:
    """Answer every CourtError a route lets through as `{"detail": ...}` with its status."""

    @app.exception_handler(CourtError)
    async def court_error(request: Request, error: CourtError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.detail}, status_code=http_status(error), headers=error_headers(error)
        )
