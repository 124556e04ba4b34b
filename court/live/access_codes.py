"""Access codes for restricted hearings: keyed storage, guessing limits, tickets, device limits.

A code is 12 random digits (shown as 1234-5678-9012; dashes, spaces and full-width digits are
ignored when typed). Only HMAC-SHA256(key derived from the installation's secret, digits) is
kept, so a stolen index alone cannot be searched for codes. Rows made before that (10 digits,
plain SHA-256, `hash_scheme = 'sha256'`) still open, and are rewritten keyed the first time
their code is presented.

A browser exchanges its code once for a viewer ticket (court/live/tickets.py) and watches with
that; `?code=` on the WHEP and live playlist URLs still works for scripts and counts as the
same exchange. Every wrong code counts against the client address and the hearing
(court/live/code_attempts.py) and is written to the audit log, without the digits typed.

This module takes plain values (the typed code, the ticket cookie's value, the client address,
the request path); api/access_codes.py reads them from the request and writes the cookies.

Every refusal carries a machine-readable reason (REASON_*, the `X-Courtcast-Error` header),
which the watch page translates. What each reason may reveal:
- `access_code_invalid`: unknown, another hearing's, or revoked, in the same words and bytes.
  The answer never tells a guesser that a code exists, nor that a code typed here opens some
  other hearing (which may be sealed). A revoked code stays "invalid": the court withdrew it,
  perhaps because it leaked, and a leaked code's holder learns nothing from trying it.
- `access_code_expired`: a code of this hearing past its `expires_at`. Only someone who typed a
  code that was once good here can get this answer, and hitting one by guessing is as unlikely
  as hitting a good code (10^-12 a try, tries limited), so it tells a guesser nothing useful;
  it tells a family whose code was good yesterday to ask the court for a new one instead of
  retyping. The hearing itself was already known: the page asked for a code (a sealed hearing
  answers 404 before any code is looked at).
- `access_code_in_use`: a good code already watched on `max_viewers` devices; only a holder of
  a good code gets here.
- `access_code_attempts`: too many wrong codes from this address or for this hearing (429).

A code's `max_viewers` counts devices across WHEP and live HLS: WHEP viewers admitted with it,
tickets that fetched a live playlist in the last PLAYLIST_SEEN_S, and devices admitted in the
last JOINING_S (a ticket just issued, a WHEP offer still negotiating).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Forbidden, TooMany
from court.live.code_attempts import CodeAttempts, SlidingWindow
from court.live.tickets import Ticket, TicketSigner
from court.live.viewers import ViewerRegistry
from storage.audit import AuditLog
from storage.db import Database
from storage.keyring import derive_key
from storage.models import AccessCode, Hearing

log = logging.getLogger(__name__)

CODE_DIGITS = 12  # 10^12: with 5 tries per address and 100 per hearing per 5 minutes, unguessable
TYPED_LENGTHS = (10, CODE_DIGITS)  # 10: codes made before codes were keyed
KEYED, LEGACY = "hmac-sha256", "sha256"
PLAYLIST_SEEN_S = 15.0
JOINING_S = 30.0
REFUSED = "this access code is not valid"  # unknown, another hearing's, revoked alike
EXPIRED = "this access code has expired"
REASON_INVALID = "access_code_invalid"
REASON_EXPIRED = "access_code_expired"
REASON_IN_USE = "access_code_in_use"
REASON_ATTEMPTS = "access_code_attempts"
AUDIT_ACTOR = "access code"


@dataclass(frozen=True, slots=True)
class CodePass:
    """An accepted code holder: the code it holds and the device it watches on."""

    code_id: str
    device_id: str
    secure: bool = False  # came over HTTPS: its ticket cookie is marked Secure


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request brings to the desk: its ticket cookie, a typed `?code=`, where from."""

    address: str
    path: str
    ticket: str | None = None
    typed: str | None = None
    secure: bool = False


class CodeRefused(Forbidden):
    """A code (or the ticket it was exchanged for) that opens nothing here.

    `forget_ticket`: the caller's ticket died with its code, so the API clears the cookie
    and the page asks for a new code.
    """

    def __init__(self, reason: str | None, *, hearing_id: str, forget_ticket: bool = False):
        expired = reason == "expired"
        super().__init__(
            EXPIRED if expired else REFUSED, code=REASON_EXPIRED if expired else REASON_INVALID
        )
        self.hearing_id = hearing_id
        self.forget_ticket = forget_ticket


def new_code() -> str:
    """A fresh code as it is shown and printed: 1234-5678-9012."""
    digits = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    return "-".join(digits[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def typed_digits(typed: str) -> str | None:
    """The digits of a typed or pasted code, or None when it cannot be a code at all."""
    digits = "".join(
        c for c in unicodedata.normalize("NFKC", typed) if not c.isspace() and c != "-"
    )
    if len(digits) in TYPED_LENGTHS and digits.isascii() and digits.isdigit():
        return digits
    return None


def new_device_id() -> str:
    return secrets.token_hex(16)


def _refusal(code: AccessCode | None, now: datetime) -> str | None:
    """Why `code` opens nothing (for the audit log only), or None when it is good."""
    if code is None:
        return "unknown"
    if code.revoked_at is not None:
        return "revoked"
    if code.expires_at is not None and code.expires_at <= now:
        return "expired"
    return None


class AccessCodeDesk:
    """One per process (runtime.access_codes): it owns the failure windows and the devices."""

    def __init__(
        self,
        *,
        secret: bytes,
        db: Database,
        viewers: ViewerRegistry,
        attempts: CodeAttempts,
        ticket_s: int = 600,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._code_key = derive_key(secret, "access-codes")
        self._tickets = TicketSigner(derive_key(secret, "viewer-tickets"))
        self._audit = AuditLog.from_secret(secret)
        self._db = db
        self._viewers = viewers
        self.attempts = attempts
        self.ticket_s = ticket_s
        self._clock = clock
        self._monotonic = monotonic
        # code id -> device id -> when it was last seen (monotonic)
        self._playlists: dict[str, dict[str, float]] = {}
        self._joining: dict[str, dict[str, float]] = {}

    @classmethod
    def with_limits(
        cls,
        *,
        secret: bytes,
        db: Database,
        viewers: ViewerRegistry,
        failures_per_address: int,
        failures_per_hearing: int,
        failure_window_s: float,
        ticket_s: int,
    ) -> AccessCodeDesk:
        """The desk with the installation's guessing limits (the runtime's one)."""
        attempts = CodeAttempts(
            per_address=SlidingWindow(failures_per_address, failure_window_s),
            per_hearing=SlidingWindow(failures_per_hearing, failure_window_s),
        )
        return cls(secret=secret, db=db, viewers=viewers, attempts=attempts, ticket_s=ticket_s)

    def code_hash(self, code: str) -> str:
        """What the index keeps of a code; raises ValueError for what cannot be a code."""
        digits = typed_digits(code)
        if digits is None:
            raise ValueError("an access code is 12 digits")
        return hmac.new(self._code_key, digits.encode(), hashlib.sha256).hexdigest()

    async def present(
        self, session: AsyncSession, presented: Presented, hearing_id: str, *, hls: bool
    ) -> CodePass | None:
        """The caller's code pass from its ticket or `?code=`; None if it presents neither;
        raises CodeRefused, Forbidden (in use) or TooMany.

        Call it only once the hearing is known to be restricted and in session.
        """
        ticket = self._held_ticket(presented, hearing_id)
        if ticket is not None:
            code = await session.get(AccessCode, ticket.code_id)
            hearing = await session.get(Hearing, hearing_id)
            same = code is not None and hearing is not None and code.opens(hearing)
            reason = _refusal(code, self._now()) if same else "unknown"
            if reason or code is None:
                raise CodeRefused(reason, hearing_id=hearing_id, forget_ticket=True)
            device = ticket.device_id
        else:
            if not presented.typed:
                return None
            code = await self._redeem(session, presented, hearing_id, presented.typed)
            # A script polling a playlist with `?code=` is one device per address; each WHEP
            # offer with `?code=` is a device of its own (the way codes worked before tickets).
            device = self._address_device(code.id, presented.address) if hls else new_device_id()
        self._admit(code, device, hls=hls)
        return CodePass(code.id, device, secure=presented.secure)

    async def exchange(
        self, session: AsyncSession, presented: Presented, hearing_id: str, typed: str
    ) -> CodePass:
        """Trade a typed code for a device (the browser keeps its device if it re-enters the
        same code); refuses like `present`."""
        code = await self._redeem(session, presented, hearing_id, typed)
        held = self._held_ticket(presented, hearing_id)
        device = held.device_id if held and held.code_id == code.id else new_device_id()
        self._admit(code, device, hls=False)
        return CodePass(code.id, device, secure=presented.secure)

    def renew(self, code_pass: CodePass, hearing_id: str) -> tuple[str, int]:
        """A fresh ticket for the holder: its cookie value and its expiry (Unix time)."""
        expires = int(self._clock()) + self.ticket_s
        ticket = Ticket(hearing_id, code_pass.code_id, code_pass.device_id, expires)
        return self._tickets.serialize(ticket), expires

    def devices(self, code_id: str) -> set[str]:
        """The devices a code is in use on right now (what its `max_viewers` bounds)."""
        now = self._monotonic()
        watching = {w.device_id or w.viewer.id for w in self._viewers.all() if w.code_id == code_id}
        return (
            watching
            | _recent(self._playlists, code_id, now - PLAYLIST_SEEN_S)
            | _recent(self._joining, code_id, now - JOINING_S)
        )

    # --- inside ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _held_ticket(self, presented: Presented, hearing_id: str) -> Ticket | None:
        if not presented.ticket:
            return None
        return self._tickets.parse(presented.ticket, hearing_id=hearing_id, now=self._clock())

    async def _redeem(
        self, session: AsyncSession, presented: Presented, hearing_id: str, typed: str
    ) -> AccessCode:
        """The good code `typed` names for this hearing, or a refusal; failures counted and
        audited."""
        address = presented.address
        wait = self.attempts.retry_after(address, hearing_id)
        if wait:
            raise TooMany(
                f"too many wrong access codes: try again in {wait} s",
                retry_after_s=wait,
                code=REASON_ATTEMPTS,
            )
        digits = typed_digits(typed)
        code = await self._find(session, hearing_id, digits) if digits else None
        reason = _refusal(code, self._now())
        if code is None or reason is not None:
            self.attempts.failed(address, hearing_id)
            await self._audit_failure(presented, hearing_id, reason or "unknown")
            raise CodeRefused(reason, hearing_id=hearing_id)
        if code.hash_scheme == LEGACY and digits:
            await self._upgrade(code.id, self.code_hash(digits))
        return code

    async def _find(self, session: AsyncSession, hearing_id: str, digits: str) -> AccessCode | None:
        keyed = self.code_hash(digits)
        legacy = hashlib.sha256(digits.encode()).hexdigest()
        case_of_hearing = select(Hearing.case_id).where(Hearing.id == hearing_id).scalar_subquery()
        rows = await session.scalars(
            select(AccessCode).where(
                or_(AccessCode.hearing_id == hearing_id, AccessCode.case_id == case_of_hearing),
                AccessCode.code_hash.in_((keyed, legacy)),
            )
        )
        expected = {KEYED: keyed, LEGACY: legacy}
        return next((r for r in rows if expected.get(r.hash_scheme) == r.code_hash), None)

    async def _upgrade(self, code_id: str, keyed: str) -> None:
        """Rewrite a plain SHA-256 row keyed, now that its digits are known."""
        async with self._db.session() as own:
            await own.execute(
                update(AccessCode)
                .where(AccessCode.id == code_id, AccessCode.hash_scheme == LEGACY)
                .values(code_hash=keyed, hash_scheme=KEYED)
            )
            await own.commit()

    async def _audit_failure(self, presented: Presented, hearing_id: str, reason: str) -> None:
        try:
            async with self._db.session() as own:  # the caller's session stays as it was
                await self._audit.append(
                    own,
                    actor=AUDIT_ACTOR,
                    role="viewer",
                    action="access_code_refused",
                    target=presented.path,
                    source=presented.address,
                    details={"hearing_id": hearing_id, "reason": reason},
                )
        except Exception:  # the refusal stands; losing its entry must be loud, not fatal
            log.exception("could not audit a refused access code for hearing %s", hearing_id)

    def _address_device(self, code_id: str, address: str) -> str:
        mac = hmac.new(self._code_key, f"device\n{code_id}\n{address}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def _admit(self, code: AccessCode, device: str, *, hls: bool) -> None:
        in_use = self.devices(code.id)
        if device not in in_use and len(in_use) >= code.max_viewers:
            raise Forbidden(
                f"this access code is already in use on {code.max_viewers} device(s)",
                code=REASON_IN_USE,
            )
        seen = self._playlists if hls else self._joining
        seen.setdefault(code.id, {})[device] = self._monotonic()


def _recent(seen: dict[str, dict[str, float]], code_id: str, since: float) -> set[str]:
    """Devices of `code_id` seen after `since`; older ones are forgotten."""
    devices = seen.get(code_id)
    if devices is None:
        return set()
    for device in [d for d, at in devices.items() if at <= since]:
        del devices[device]
    if not devices:
        del seen[code_id]
    return set(devices)
