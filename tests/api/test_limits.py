"""Limits that hold before work is done: peer admission, dates, key parts, bodies, candidates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from aiortc import RTCPeerConnection
from fastapi import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.admission import (
    AttemptRate,
    ConcurrencyCaps,
    PeerAdmission,
    TooManyPeers,
    too_many_requests,
)
from api.request_limits import DRAIN_BYTES, RequestLimits
from api.sdp_offer import MAX_REMOTE_CANDIDATES
from api.settings import Settings
from api.time_range import day_within_range, within_range
from storage.keys import TrackPrefix, is_safe_part
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from tests.support.fixtures_api import start_recording
from tests.support.server import RunningServer, running_server

# --- peer admission (api/admission.py) ---


def test_concurrency_caps_count_per_address_and_per_scope() -> None:
    caps = ConcurrencyCaps(per_address=2, per_scope=3)
    first = caps.acquire("10.0.0.1", "hearing-a")
    caps.acquire("10.0.0.1", "hearing-a")
    with pytest.raises(TooManyPeers, match="from this address") as refused:
        caps.acquire("10.0.0.1", "hearing-b")
    assert refused.value.retry_after_s >= 1
    caps.acquire("10.0.0.2", "hearing-a")
    with pytest.raises(TooManyPeers, match="at most 3 at once"):
        caps.acquire("10.0.0.3", "hearing-a")
    caps.acquire("10.0.0.3", "hearing-b")  # another scope has room
    first.release()
    caps.acquire("10.0.0.3", "hearing-a")  # the released place is free again
    assert caps.held(address="10.0.0.1") == 1 and caps.held(scope="hearing-a") == 3


def test_a_slot_released_twice_gives_back_one_place() -> None:
    caps = ConcurrencyCaps(per_address=1, per_scope=1)
    slot = caps.acquire("10.0.0.1", "courtroom")
    slot.release()
    slot.release()
    again = caps.acquire("10.0.0.1", "courtroom")
    with pytest.raises(TooManyPeers):
        caps.acquire("10.0.0.1", "courtroom")
    again.release()
    assert caps.held(address="10.0.0.1") == 0 and caps.held(scope="courtroom") == 0


def test_attempt_rate_is_a_sliding_window_with_an_exact_retry_after() -> None:
    now = [1000.0]
    rate = AttemptRate(limit=3, window_s=60, clock=lambda: now[0])
    for offset in (0.0, 10.0, 20.5):
        now[0] = 1000.0 + offset
        rate.attempt("10.0.0.1")
    rate.attempt("10.0.0.2")  # another address has its own window
    now[0] = 1030.0
    with pytest.raises(TooManyPeers) as refused:
        rate.attempt("10.0.0.1")
    assert refused.value.retry_after_s == 30  # the first attempt leaves the window at 1060
    now[0] = 1060.0
    rate.attempt("10.0.0.1")
    with pytest.raises(TooManyPeers):
        rate.attempt("10.0.0.1")  # attempts at 1010 and 1020.5 are still in the window
    now[0] = 1081.0
    rate.attempt("10.0.0.1")
    rate.attempt("10.0.0.1")


def test_a_refusal_becomes_429_with_retry_after() -> None:
    error = too_many_requests(TooManyPeers("too many WHEP viewers here", 7))
    assert error.status_code == 429
    assert error.detail == "too many WHEP viewers here"
    assert error.headers == {"Retry-After": "7"}


def test_whep_admission_is_sized_by_the_settings_and_refuses_with_429() -> None:
    admission = PeerAdmission(Settings(max_whep_per_address=2, max_whep_per_hearing=3))
    slots = [admission.admit_whep("10.0.0.1", "hearing"), admission.admit_whep("10.0.0.1", "h2")]
    with pytest.raises(HTTPException) as refused:
        admission.admit_whep("10.0.0.1", "hearing")
    assert refused.value.status_code == 429 and refused.value.headers == {"Retry-After": "5"}
    slots[0].release()
    admission.admit_whep("10.0.0.1", "hearing")
    defaults = PeerAdmission(Settings())
    fifty = [defaults.admit_whep("127.0.0.1", "hearing") for _ in range(50)]  # tests' viewers
    assert len(fifty) == 50


# --- dates and key parts ---


def test_times_outside_the_range_are_refused_even_when_they_overflow() -> None:
    plus_21 = timezone(timedelta(hours=21))
    minus_23 = timezone(timedelta(hours=-23))
    for moment in (
        datetime(1, 1, 1, 0, 1, tzinfo=plus_21),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, 59, tzinfo=minus_23),  # after year 9999 in UTC
        datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(3000, 1, 1, tzinfo=UTC),
    ):
        with pytest.raises(ValueError, match="from 1900-01-01 to 2999-12-31"):
            within_range(moment)
    inside = datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=8)))
    assert within_range(inside) is inside
    assert within_range(datetime(1900, 1, 1, tzinfo=UTC)).year == 1900
    assert day_within_range(date(2999, 12, 31)) == date(2999, 12, 31)
    for day in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValueError, match="date must be"):
            day_within_range(day)


def test_key_parts_must_match_whole() -> None:
    assert is_safe_part("bench") and is_safe_part("cam-1.left_2")
    for bad in ("bench\n", "bench\nwitness", "\nbench", "", "-bench", "a/b", "x" * 129):
        assert not is_safe_part(bad), repr(bad)
    prefix = TrackPrefix("court", "room", "rec", "bench\n", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="not a safe object key part"):
        str(prefix)


# --- request bodies, in process: the middleware sees exactly the chunks we give it ---


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[bytes, bytes]
    received: list[bytes]  # the body messages the inner app read
    unread: int  # body messages nobody read


async def call(chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Answer:
    """What the middleware answers to `chunks`, or the inner app's 200 once it read them."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []
    received: list[bytes] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def inner(scope: Scope, receive_body: Receive, send_answer: Send) -> None:
        while True:
            message = await receive_body()
            received.append(message["body"])
            if not message["more_body"]:
                break
        await send_answer({"type": "http.response.start", "status": 200, "headers": []})
        await send_answer({"type": "http.response.body", "body": b"read"})

    middleware = RequestLimits(inner, max_json_bytes=100, max_sdp_bytes=50)
    scope = {"type": "http", "path": "/api/v1/cases", "query_string": b"", "headers": headers}
    await middleware(scope, receive, send)
    start, *parts = sent
    body = b"".join(part["body"] for part in parts)
    return Answer(start["status"], body, dict(start["headers"]), received, len(pending))


JSON = [(b"content-type", b"application/json")]


async def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read() -> None:
    answer = await call([], [*JSON, (b"content-length", b"101")])  # receive() is never called
    assert answer.status == 413 and b"over 100 bytes" in answer.body
    assert answer.headers[b"connection"] == b"close"


async def test_a_chunked_body_is_refused_when_its_count_passes_the_limit() -> None:
    answer = await call([b"x" * 60, b"x" * 41, b"dropped"], JSON)
    assert answer.status == 413 and answer.headers[b"connection"] == b"close"
    assert answer.received == [] and answer.unread == 0
    answer = await call([b"x" * 60, b"x" * 40], JSON)
    assert answer.status == 200 and answer.received == [b"x" * 100]  # the limit itself passes


async def test_after_a_413_at_most_a_bounded_drain_is_read_before_the_socket_closes() -> None:
    tail = [b"x" * (DRAIN_BYTES // 2)] * 3 + [b"never read"] * 5
    answer = await call([b"x" * 101, *tail], JSON)
    assert answer.status == 413
    assert json.loads(answer.body) == {"detail": "request body over 100 bytes"}
    assert answer.unread == 6  # two halves read: the bound


async def test_sdp_has_its_own_smaller_limit() -> None:
    sdp = [(b"content-type", b"application/sdp; charset=utf-8")]
    answer = await call([b"v" * 51], sdp)
    assert answer.status == 413 and b"over 50 bytes" in answer.body
    assert (await call([b"v" * 51], JSON)).status == 200


async def test_nul_split_across_chunks_is_found() -> None:
    for split in ([b'{"a": "\\', b'u0000"}'], [b'{"a": "\\u00', b'00"}'], [b"{\x00", b"}"]):
        answer = await call(split, JSON)
        assert answer.status == 422 and b"NUL" in answer.body, split
    assert (await call([b'{"a": "\\', b'u0001"}'], JSON)).status == 200


async def test_nul_is_refused_in_any_body_but_sdp() -> None:
    for headers in ([], [(b"content-type", b"text/plain")], [(b"content-type", b"a/b+json")]):
        assert (await call([b'{"a": "\\u0000"}'], headers)).status == 422, headers
    sdp = [(b"content-type", b"application/sdp")]
    assert (await call([b"v=0\x00"], sdp)).status == 200  # the SDP reader answers 400 itself


# --- against a real server ---


async def offer_with_candidates(extra: int) -> str:
    """A real aiortc offer plus `extra` made-up host candidates on its first media section."""
    install_host_addresses([LOOPBACK])
    pc = RTCPeerConnection(rtc_configuration())
    pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    made_up = "".join(
        f"a=candidate:{n} 1 udp 2130706431 10.9.{n // 250}.{n % 250 + 1} {9000 + n} typ host\r\n"
        for n in range(extra)
    )
    head, tail = sdp.split("a=ice-ufrag:", 1)
    return head + made_up + "a=ice-ufrag:" + tail


@pytest.fixture
def whip_limited(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(
        tmp_path / "data", {"COURTCAST_MAX_WHIP_ATTEMPTS_PER_MINUTE": "3"}
    ) as running:
        yield running


async def test_an_offer_with_too_many_candidates_gets_400_on_whip_and_whep(
    whip_limited: RunningServer,
) -> None:
    offer = await offer_with_candidates(MAX_REMOTE_CANDIDATES + 1)
    async with whip_limited.client() as client:
        recording = await start_recording(client, ["bench"])
        for url in (
            recording.whip_url(whip_limited.base_url),
            f"/whep/{recording.hearing_id}/bench",
        ):
            response = await client.post(
                url, content=offer, headers={"Content-Type": "application/sdp"}
            )
            assert response.status_code == 400, (url, response.text)
            assert f"at most {MAX_REMOTE_CANDIDATES}" in response.json()["detail"]


async def test_whip_attempts_per_address_per_minute_get_429_with_retry_after(
    whip_limited: RunningServer,
) -> None:
    async with whip_limited.client() as client:
        recording = await start_recording(client, ["bench"])
        url = recording.whip_url(whip_limited.base_url)
        headers = {"Content-Type": "application/sdp"}
        for _ in range(3):
            response = await client.post(url, content=b"v=0\r\n", headers=headers)
            assert response.status_code == 400, response.text
        refused = await client.post(url, content=b"v=0\r\n", headers=headers)
        assert refused.status_code == 429, refused.text
        assert "WHIP attempts" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_bodies_over_the_limits_get_413_before_authentication(
    api_server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as anyone:
        sdp = await anyone.post(
            "/whip/any/bench",
            content=b"a=x\r\n" * 14_000,
            headers={"Content-Type": "application/sdp"},
        )
        json = await anyone.post(
            "/api/v1/cases",
            content=b"[" + b"1," * 600_000 + b"1]",
            headers={"Content-Type": "application/json"},
        )
    for response in (sdp, json):
        assert response.status_code == 413, response.text
        assert response.json()["detail"].startswith("request body over")
        assert response.headers["connection"] == "close"
