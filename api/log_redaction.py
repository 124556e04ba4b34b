"""No secret in a log: tokens, access codes, link signatures and tickets are redacted.

Logs are kept for months and read by people who may not hold those secrets (operators,
support, a log service). Browsers cannot add headers to `<video src>` or a websocket, so
secrets travel as query parameters (`token`, `code`, `sig`, `ticket`), and uvicorn's
access log writes every request line whole. One filter on the only log handler rewrites
every record, ours, uvicorn's and libraries', before it is formatted: the values of those
parameters, `Bearer` credentials and `Authorization` header values become `[redacted]`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping

REDACTED = "[redacted]"
SECRET_PARAMETERS = ("token", "code", "sig", "ticket")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# `name=value` as a query parameter (also percent-encoded inside another URL): the value runs
# to the next parameter, whitespace, quote or fragment. `access_token=` is a parameter too.
_PARAMETER = re.compile(
    r"(?i)(?:(?<=%3f)|(?<=%26)|(?<![a-z0-9-]))"
    r"((?:[a-z0-9]+_)?(?:" + "|".join(SECRET_PARAMETERS) + r")(?:=|%3d))"
    r"[^&\s\"'#<>]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
# `Authorization: ...`, `'authorization': '...'` and `(b'authorization', b'...')` alike
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=,]\s*(?-i:b)?[\"']?)[^\"'\r\n,)}]+")
_TOKEN_SECRET = re.compile(
    r"cct_[A-Za-z0-9_-]{8,}"
)  # the shape court.principals gives every secret


def redact(text: str) -> str:
    text = _PARAMETER.sub(rf"\1{REDACTED}", text)
    text = _AUTHORIZATION.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _TOKEN_SECRET.sub(REDACTED, text)


def _clean(value: object) -> object:
    """A str argument redacted; any other kept as it is unless its text holds a secret."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value  # `%d` must still get a number (uvicorn's status code)
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, arguments, traceback and stack; never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_clean(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(level: int = logging.INFO) -> None:
    """Every log line through one stderr handler that redacts.

    uvicorn is then run with `log_config=None`, so its error and access loggers keep no
    handlers of their own and reach this one.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        for old in named.handlers[:]:
            named.removeHandler(old)
        named.propagate = True
