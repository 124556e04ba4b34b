"""The access-code desk in-process: keyed storage, the legacy upgrade, failure windows, tickets
and device limits, against a real index (SQLite, or PostgreSQL with
COURTCAST_TEST_DATABASE=postgresql) and a fixed clock."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from alembic import command
from fastapi import HTTPException, Response
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from api.access_codes import presented, renew
from api.court_errors import error_headers, http_status
from api.error_codes import ERROR_HEADER
from court.errors import CourtError
from court.live.access_codes import (
    EXPIRED,
    KEYED,
    LEGACY,
    REASON_ATTEMPTS,
    REASON_EXPIRED,
    REASON_IN_USE,
    REASON_INVALID,
    REFUSED,
    AccessCodeDesk,
    CodePass,
    new_code,
    typed_digits,
)
from court.live.code_attempts import CodeAttempts, SlidingWindow, client_key
from court.live.tickets import Ticket, TicketSigner, cookie_name
from court.live.viewers import ViewerRegistry
from storage.audit_models import AuditEvent
from storage.db import Database, alembic_config, sqlite_url
from storage.keyring import derive_key
from storage.models import AccessCode, Case, Court, Courtroom, Hearing

SECRET = bytes(range(32))
START = 1_800_000_000.0  # a fixed wall-clock time (2027)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- pure parts -------------------------------------------------------------------------------


def test_a_sliding_window_refuses_the_limit_until_the_oldest_failure_leaves_it() -> None:
    clock = Clock(100.0)
    window = SlidingWindow(3, 60.0, clock=clock)
    for at in (100.0, 110.0, 120.0):
        clock.now = at
        assert window.retry_after("a") == 0.0
        window.record("a")
    assert window.retry_after("a") == pytest.approx(40.0)  # 100 + 60 - 120
    assert window.retry_after("b") == 0.0
    clock.now = 160.0
    assert window.retry_after("a") == 0.0  # the failure at 100 left the window
    window.record("a")
    assert window.retry_after("a") == pytest.approx(10.0)  # now the one at 110 decides


def test_a_sliding_window_forgets_stale_keys_first_when_full() -> None:
    clock = Clock(0.0)
    window = SlidingWindow(1, 10.0, clock=clock, max_keys=2)
    window.record("old")
    clock.now = 20.0
    window.record("fresh")
    window.record("newest")
    assert window.retry_after("old") == 0.0
    assert window.retry_after("fresh") > 0 and window.retry_after("newest") > 0


def test_client_addresses_are_counted_per_ipv4_address_and_per_ipv6_64() -> None:
    assert client_key("203.0.113.5") == "203.0.113.5"
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")


def test_the_hearing_bound_holds_against_many_addresses() -> None:
    clock = Clock(0.0)
    attempts = CodeAttempts(
        per_address=SlidingWindow(5, 300, clock=clock),
        per_hearing=SlidingWindow(12, 300, clock=clock),
    )
    for n in range(12):
        assert attempts.retry_after(f"198.51.100.{n}", "h1") == 0
        attempts.failed(f"198.51.100.{n}", "h1")
    assert attempts.retry_after("198.51.100.200", "h1") == 300
    assert attempts.retry_after("198.51.100.200", "h2") == 0  # another hearing is untouched


def test_codes_are_twelve_digits_typed_with_dashes_spaces_or_full_width_digits() -> None:
    code = new_code()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code)
    assert typed_digits(code) == code.replace("-", "")
    assert typed_digits(" 1234 5678-9012 ") == "123456789012"
    assert typed_digits("１２３４－５６７８－９０１２") == "123456789012"
    assert typed_digits("12345-67890") == "1234567890"  # codes made before: 10 digits
    for bad in ("", "1234-5678-901", "1234-5678-90123", "abcd-efgh-ijkl", "١٢٣٤٥٦٧٨٩٠١٢"):
        assert typed_digits(bad) is None, bad


def test_tickets_are_signed_for_one_hearing_until_they_expire() -> None:
    signer = TicketSigner(derive_key(SECRET, "viewer-tickets"))
    ticket = Ticket("a" * 32, "b" * 32, "c" * 32, int(START) + 600)
    value = signer.serialize(ticket)
    assert signer.parse(value, hearing_id="a" * 32, now=START) == ticket
    assert signer.parse(value, hearing_id="d" * 32, now=START) is None
    assert signer.parse(value, hearing_id="a" * 32, now=START + 600) is None
    forged = value.replace(str(int(START) + 600), str(int(START) + 6000))
    assert signer.parse(forged, hearing_id="a" * 32, now=START) is None
    other_install = TicketSigner(derive_key(b"another secret", "viewer-tickets"))
    assert other_install.parse(value, hearing_id="a" * 32, now=START) is None
    assert signer.parse("t1.x", hearing_id="a" * 32, now=START) is None


# --- the desk against a real index ----------------------------------------------------------


@dataclass
class Court2:
    restricted: str
    other: str


@pytest.fixture
async def hearings(db: Database) -> Court2:
    async with db.session() as session:
        court = Court(name="长沙中院")
        session.add(court)
        await session.flush()
        room = Courtroom(court_id=court.id, name="第三法庭", kind="courtroom")
        case = Case(court_id=court.id, number="(2026)湘01民初1号", title="张三诉李四")
        session.add_all([room, case])
        await session.flush()
        ids = []
        for title in ("第一次开庭", "第二次开庭"):
            hearing = Hearing(
                case_id=case.id,
                courtroom_id=room.id,
                title=title,
                scheduled_start=datetime.now(UTC),
                visibility="restricted",
            )
            session.add(hearing)
            await session.flush()
            ids.append(hearing.id)
        await session.commit()
    return Court2(*ids)


@dataclass
class Desk:
    desk: AccessCodeDesk
    clock: Clock
    db: Database

    async def add_code(
        self, hearing_id: str | None, *, max_viewers: int = 1, **fields: object
    ) -> str:
        code = new_code()
        async with self.db.session() as session:
            session.add(
                AccessCode(
                    hearing_id=hearing_id,
                    label="家属",
                    code_hash=self.desk.code_hash(code),
                    max_viewers=max_viewers,
                    **fields,
                )
            )
            await session.commit()
        return code

    async def present(self, hearing_id: str, *, hls: bool = False, **kw: str) -> CodePass | None:
        async with self.db.session() as session:
            held = presented(request(hearing_id, **kw), hearing_id)
            return await self.desk.present(session, held, hearing_id, hls=hls)

    async def refusal(self, hearing_id: str, **kw: str) -> HTTPException:
        """The refusal as the API answers it (api/court_errors.py's one handler)."""
        with pytest.raises(CourtError) as refused:
            await self.present(hearing_id, **kw)
        error = refused.value
        return HTTPException(http_status(error), error.detail, headers=error_headers(error))


def request(
    hearing_id: str,
    *,
    code: str | None = None,
    cookie: str | None = None,
    client: str = "203.0.113.5",
) -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": f"/whep/{hearing_id}/bench",
            "query_string": urlencode({"code": code}).encode() if code else b"",
            "headers": headers,
            "client": (client, 50000),
            "server": ("127.0.0.1", 8000),
        }
    )


@pytest.fixture
def desk(db: Database) -> Desk:
    clock = Clock(START)
    attempts = CodeAttempts(
        per_address=SlidingWindow(5, 300, clock=clock),
        per_hearing=SlidingWindow(100, 300, clock=clock),
    )
    return Desk(
        AccessCodeDesk(
            secret=SECRET,
            db=db,
            viewers=ViewerRegistry(),
            attempts=attempts,
            clock=clock,
            monotonic=clock,
        ),
        clock,
        db,
    )


async def test_codes_are_stored_keyed_and_not_as_their_sha256(desk: Desk, hearings: Court2) -> None:
    code = await desk.add_code(hearings.restricted)
    digits = typed_digits(code)
    assert digits is not None
    async with desk.db.session() as session:
        row = await session.scalar(select(AccessCode))
    assert row is not None and row.hash_scheme == KEYED
    assert row.code_hash != hashlib.sha256(digits.encode()).hexdigest()
    other_install = AccessCodeDesk(
        secret=b"another secret", db=desk.db, viewers=ViewerRegistry(), attempts=desk.desk.attempts
    )
    assert row.code_hash != other_install.code_hash(code)
    assert await desk.present(hearings.restricted, code=code.replace("-", " "))


async def test_a_plain_sha256_row_opens_once_and_is_rewritten_keyed(
    desk: Desk, hearings: Court2
) -> None:
    async with desk.db.session() as session:
        session.add(
            AccessCode(
                hearing_id=hearings.restricted,
                label="旧码",
                code_hash=hashlib.sha256(b"1234567890").hexdigest(),
                hash_scheme=LEGACY,
                max_viewers=5,
            )
        )
        await session.commit()
    assert await desk.present(hearings.restricted, code="12345-67890")
    async with desk.db.session() as session:
        row = await session.scalar(select(AccessCode))
    assert row is not None and row.hash_scheme == KEYED
    assert row.code_hash == desk.desk.code_hash("1234567890")
    assert await desk.present(hearings.restricted, code="12345-67890")  # still opens, keyed


async def test_rows_made_before_migration_0009_are_marked_plain_sha256(tmp_path: Path) -> None:
    database = Database(sqlite_url(tmp_path / "old.db"))
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0008"))
            now = datetime.now(UTC).replace(tzinfo=None)
            await connection.execute(
                text(
                    "INSERT INTO courts (id, name, timezone, created_at)"
                    " VALUES ('c', 'c', 'UTC', :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO courtrooms (id, court_id, name, kind, created_at)"
                    " VALUES ('r', 'c', 'r', 'courtroom', :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO cases (id, court_id, number, title, case_type, legal_hold,"
                    " created_at) VALUES ('k', 'c', 'n', 't', 'default', false, :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO hearings (id, case_id, courtroom_id, title, scheduled_start,"
                    " visibility, status, created_at) VALUES"
                    " ('h', 'k', 'r', 't', :t, 'restricted', 'scheduled', :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO access_codes (id, hearing_id, label, code_hash, max_viewers,"
                    " created_at) VALUES ('a', 'h', 'l', :hash, 1, :t)"
                ),
                {"hash": hashlib.sha256(b"1234567890").hexdigest(), "t": now},
            )
        await database.migrate()
        async with database.session() as session:
            row = await session.get(AccessCode, "a")
        assert row is not None and row.hash_scheme == LEGACY
    finally:
        await database.close()


async def test_every_code_that_does_not_open_this_hearing_is_refused_in_the_same_words(
    desk: Desk, hearings: Court2
) -> None:
    """...except an expired code of this hearing, which says so (court/live/access_codes.py)."""
    now = datetime.fromtimestamp(START, UTC)
    revoked = await desk.add_code(hearings.restricted, revoked_at=now)
    expired = await desk.add_code(hearings.restricted, expires_at=now - timedelta(seconds=1))
    elsewhere = await desk.add_code(hearings.other)
    refusals = [
        await desk.refusal(hearings.restricted, code=code, client=f"198.51.100.{n}")
        for n, code in enumerate((new_code(), revoked, expired, elsewhere, "not a code"))
    ]
    told = [(r.status_code, r.detail, (r.headers or {}).get(ERROR_HEADER)) for r in refusals]
    invalid = (403, REFUSED, REASON_INVALID)
    assert told == [invalid, invalid, (403, EXPIRED, REASON_EXPIRED), invalid, invalid]
    async with desk.db.session() as session:
        audited = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)))
    assert [e.details["reason"] for e in audited] == [
        "unknown",
        "revoked",
        "expired",
        "unknown",
        "unknown",
    ]
    assert {(e.actor, e.action) for e in audited} == {("access code", "access_code_refused")}
    assert [e.source for e in audited] == [f"198.51.100.{n}" for n in range(5)]
    assert all(e.details["hearing_id"] == hearings.restricted for e in audited)
    for code in (revoked, expired, elsewhere):
        digits = typed_digits(code)
        assert digits is not None
        assert all(digits not in str(e.details) + e.target for e in audited)


async def test_five_wrong_codes_limit_the_address_even_for_the_right_code(
    desk: Desk, hearings: Court2
) -> None:
    code = await desk.add_code(hearings.restricted)
    for _ in range(5):
        assert (await desk.refusal(hearings.restricted, code=new_code())).status_code == 403
    limited = await desk.refusal(hearings.restricted, code=code)
    assert limited.status_code == 429
    assert limited.headers == {"Retry-After": "300", ERROR_HEADER: REASON_ATTEMPTS}
    assert "try again in 300 s" in limited.detail
    assert await desk.present(hearings.restricted, code=code, client="198.51.100.7")
    assert await desk.present(hearings.other) is None  # nothing presented: not limited either
    desk.clock.now += 120
    assert (await desk.refusal(hearings.restricted, code=code)).headers == {
        "Retry-After": "180",
        ERROR_HEADER: REASON_ATTEMPTS,
    }
    desk.clock.now += 180
    assert await desk.present(hearings.restricted, code=code)


def ticket_cookie(response: Response, hearing_id: str) -> str:
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    name_value = header.split(";")[0]
    assert name_value.startswith(cookie_name(hearing_id) + "=")
    return name_value


async def test_a_ticket_is_renewed_with_use_and_dies_with_its_code(
    desk: Desk, hearings: Court2
) -> None:
    code = await desk.add_code(hearings.restricted)
    first = await desk.present(hearings.restricted, code=code)
    assert first is not None
    response = Response()
    expires = renew(desk.desk, response, first, hearings.restricted)
    assert expires == int(START) + 600
    cookie = ticket_cookie(response, hearings.restricted)
    assert typed_digits(code) not in cookie

    desk.clock.now += 500
    again = await desk.present(hearings.restricted, hls=True, cookie=cookie)
    assert again == first  # the same device, over HLS this time
    assert await desk.present(hearings.other, cookie=cookie) is None  # not that hearing's
    desk.clock.now += 100
    assert await desk.present(hearings.restricted, cookie=cookie) is None  # expired unrenewed

    desk.clock.now -= 100
    async with desk.db.session() as session:
        row = await session.scalar(select(AccessCode))
        assert row is not None
        row.revoked_at = datetime.fromtimestamp(desk.clock.now, UTC)
        await session.commit()
    dead = await desk.refusal(hearings.restricted, cookie=cookie)
    assert (dead.status_code, dead.detail) == (403, REFUSED)
    assert dead.headers is not None and "Max-Age=0" in dead.headers["Set-Cookie"]


async def test_max_viewers_counts_devices_across_whep_and_live_hls(
    desk: Desk, hearings: Court2
) -> None:
    code = await desk.add_code(hearings.restricted, max_viewers=2)
    phone = await desk.present(hearings.restricted, code=code)  # a WHEP join
    assert phone is not None
    response = Response()
    renew(desk.desk, response, phone, hearings.restricted)
    phone_cookie = ticket_cookie(response, hearings.restricted)
    laptop = await desk.present(hearings.restricted, code=code, hls=True, client="198.51.100.3")
    assert laptop is not None and laptop.device_id != phone.device_id
    assert desk.desk.devices(laptop.code_id) == {phone.device_id, laptop.device_id}

    third = await desk.refusal(hearings.restricted, code=code, client="198.51.100.4")
    assert third.status_code == 403 and "already in use on 2 device(s)" in str(third.detail)
    assert third.headers == {ERROR_HEADER: REASON_IN_USE}
    # the devices already counted go on
    assert await desk.present(hearings.restricted, cookie=phone_cookie, hls=True) == phone
    assert await desk.present(hearings.restricted, code=code, hls=True, client="198.51.100.3")

    desk.clock.now += 20  # the laptop stopped polling 20 s ago; the phone's join is 20 s old
    assert desk.desk.devices(phone.code_id) == {phone.device_id}
    assert await desk.present(hearings.restricted, code=code, client="198.51.100.4")


async def the_hearing(session: AsyncSession, hearing_id: str) -> Hearing:
    hearing = await session.get(Hearing, hearing_id)
    assert hearing is not None
    return hearing


async def test_a_case_code_opens_every_hearing_of_its_case_and_nothing_else(
    desk: Desk, hearings: Court2
) -> None:
    async with desk.db.session() as session:
        first = await the_hearing(session, hearings.restricted)
        room = await session.get(Courtroom, first.courtroom_id)
        assert room is not None
        stranger_case = Case(court_id=room.court_id, number="(2026)湘01刑更2号", title="王五减刑")
        session.add(stranger_case)
        await session.flush()
        stranger = Hearing(
            case_id=stranger_case.id,
            courtroom_id=room.id,
            title="减刑听证",
            scheduled_start=datetime.now(UTC),
            visibility="restricted",
        )
        session.add(stranger)
        await session.commit()
        case_id, stranger_id = first.case_id, stranger.id
    code = await desk.add_code(None, case_id=case_id, max_viewers=3)
    opened = await desk.present(hearings.restricted, code=code)
    assert opened is not None
    assert await desk.present(hearings.other, code=code, client="198.51.100.9")
    # the ticket the case's code was exchanged for keeps the device on that hearing
    response = Response()
    renew(desk.desk, response, opened, hearings.restricted)
    cookie = ticket_cookie(response, hearings.restricted)
    assert await desk.present(hearings.restricted, cookie=cookie) == opened
    refused = await desk.refusal(stranger_id, code=code)
    assert (refused.status_code, refused.detail) == (403, REFUSED)


async def test_a_code_opens_a_hearing_or_a_case_never_both_nor_neither(
    desk: Desk, hearings: Court2
) -> None:
    async with desk.db.session() as session:
        case_id = (await the_hearing(session, hearings.restricted)).case_id
    for scope in ({"hearing_id": None}, {"hearing_id": hearings.restricted, "case_id": case_id}):
        with pytest.raises(IntegrityError):
            await desk.add_code(**scope)  # type: ignore[arg-type]
