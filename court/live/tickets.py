"""Viewer tickets: what a browser holds instead of an access code once it has typed one.

A ticket names the hearing, the access code it was exchanged for and the device (browser) that
holds it, with an expiry a few minutes ahead, signed with a key derived from the installation's
secret. It travels as an HttpOnly, SameSite=Strict cookie, never in a URL, and is renewed while
it is used; the code itself is checked again on every use, so a ticket dies with its code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

VERSION = "t1"
COOKIE_PREFIX = "courtcast_ticket_"
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def cookie_name(hearing_id: str) -> str:
    """One cookie per hearing, so a family can watch two restricted hearings side by side."""
    return COOKIE_PREFIX + hearing_id


@dataclass(frozen=True, slots=True)
class Ticket:
    hearing_id: str
    code_id: str
    device_id: str
    expires: int  # Unix time, seconds

    def payload(self) -> str:
        return f"{VERSION}.{self.hearing_id}.{self.code_id}.{self.device_id}.{self.expires}"


class TicketSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def serialize(self, ticket: Ticket) -> str:
        payload = ticket.payload()
        return f"{payload}.{self._mac(payload)}"

    def parse(self, value: str, *, hearing_id: str, now: float) -> Ticket | None:
        """The ticket in a cookie value if it is genuine, unexpired and for this hearing."""
        parts = value.split(".")
        if len(parts) != 6 or parts[0] != VERSION:
            return None
        _, ticket_hearing, code_id, device_id, expires, mac = parts
        if not hmac.compare_digest(self._mac(".".join(parts[:5])), mac):
            return None
        if ticket_hearing != hearing_id or not expires.isdigit() or int(expires) <= now:
            return None
        if not (_HEX_ID.fullmatch(code_id) and _HEX_ID.fullmatch(device_id)):
            return None
        return Ticket(ticket_hearing, code_id, device_id, int(expires))
