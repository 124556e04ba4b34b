"""Signed links for archive and live segments.

A `<video>` element or an HLS player fetches segments with plain GETs and no
`Authorization` header; the playlist (fetched with a token) hands out links
signed with the installation's secret instead, like a presigned S3 URL. Each
link names its subject (the token id, or the kind of live viewer) under the
signature, so every fetch is judged again as that subject: a revoked token or
a hearing sealed since stops its links at once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from urllib.parse import parse_qs, quote_plus

_quoted = functools.lru_cache(maxsize=1024)(quote_plus)  # a playlist's links share one subject


class UrlSigner:
    def __init__(self, secret: bytes, *, lifetime_s: int = 6 * 3600) -> None:
        # keyed once and copied per link: a 4-hour recording's playlist signs 7,200 of them
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)
        self.lifetime_s = lifetime_s

    def _mac(self, path: str, expires: int, subject: str) -> str:
        mac = self._keyed.copy()
        mac.update(f"{path}\n{expires}\n{subject}".encode())
        return mac.hexdigest()[:40]

    def query(
        self, path: str, *, subject: str, now: float | None = None, lifetime_s: int | None = None
    ) -> str:
        """The query string (`exp`, `sub`, `sig`) that lets `subject` fetch `path` until expiry
        (`lifetime_s` from now, the signer's own lifetime unless given)."""
        life = self.lifetime_s if lifetime_s is None else lifetime_s
        expires = int((now if now is not None else time.time()) + life)
        signature = self._mac(path, expires, subject)  # hex: nothing to quote, nor in exp
        return f"exp={expires}&sub={_quoted(subject)}&sig={signature}"

    def subject(
        self,
        path: str,
        exp: str | None,
        sub: str | None,
        sig: str | None,
        *,
        now: float | None = None,
    ) -> str | None:
        """Who the link was signed for, or None when it is not a valid, unexpired link."""
        if not exp or not sig or sub is None or not exp.isdigit() or len(exp) > 12:
            return None
        if int(exp) < (now if now is not None else time.time()):
            return None
        return sub if hmac.compare_digest(self._mac(path, int(exp), sub), sig) else None

    def claimant(self, path: str, claim: str, *, now: float | None = None) -> str | None:
        """Who a query made by `query` for `path` names, sent whole as one value (a header):
        None unless it is valid, unexpired, and names someone."""
        fields = parse_qs(claim)

        def one(name: str) -> str | None:
            values = fields.get(name)
            return values[0] if values and len(values) == 1 else None

        return self.subject(path, one("exp"), one("sub"), one("sig"), now=now) or None
