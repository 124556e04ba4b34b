"""Every input that ever broke the server, kept as an explicit request with its expected answer.

Fuzzing found most of these (see tests/api/test_openapi_fuzz.py); each stays
here so it is tried on every run, whatever the fuzzer draws. A new one found
by `python -m tests.fuzz_forever` belongs in this table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import RunningServer

NO_SUCH_ID = "0" * 32
# (what broke, method, path, JSON body, whether the request carries the admin token)
CASES: list[tuple[str, str, str, object, bool]] = [
    (
        "search date_to before year 1 in UTC (OverflowError, 500)",
        "GET",
        "/api/v1/hearings?date_to=0001-01-01T00:01:00%2B21:00",
        None,
        True,
    ),
    (
        "search date_from past year 9999 in UTC",
        "GET",
        "/api/v1/recordings?date_from=9999-12-31T23:59:00-23:00",
        None,
        True,
    ),
    (
        "public day at the end of time, no token (OverflowError adding a day)",
        "GET",
        "/api/v1/public/hearings?date=9999-12-31",
        None,
        False,
    ),
    (
        "public day in year 1, no token",
        "GET",
        "/api/v1/public/hearings?date=0001-01-01",
        None,
        False,
    ),
    (
        "hearing scheduled before year 1 in UTC",
        "POST",
        "/api/v1/hearings",
        {
            "case_id": NO_SUCH_ID,
            "courtroom_id": NO_SUCH_ID,
            "title": "t",
            "scheduled_start": "0001-01-01T00:00:00+01:00",
        },
        True,
    ),
    (
        "token expiring after year 9999 in UTC",
        "POST",
        "/api/v1/tokens",
        {"role": "judge", "name": "n", "expires_at": "9999-12-31T23:59:59-01:00"},
        True,
    ),
    (
        "marker at year 9999 minus an offset",
        "POST",
        f"/api/v1/recordings/{NO_SUCH_ID}/markers",
        {"at": "9999-12-31T23:59:59-00:01", "kind": "note"},
        True,
    ),
    (
        "export range ending after year 9999 in UTC",
        "GET",
        f"/api/v1/recordings/{NO_SUCH_ID}/cameras/bench/export.json"
        "?from=2026-01-01T00:00:00Z&to=9999-12-31T23:59:59-05:00",
        None,
        True,
    ),
    (
        "a time without its UTC offset",
        "GET",
        "/api/v1/hearings?date_from=2026-03-02T09:00:00",
        None,
        True,
    ),
    (
        "camera name with a trailing newline (the key pattern ended in $)",
        "POST",
        "/api/v1/courtrooms",
        {"name": "第三法庭", "cameras": ["bench\n"]},
        True,
    ),
    (
        "NUL in a JSON body (PostgreSQL refuses it deep in the driver)",
        "POST",
        "/api/v1/cases",
        {"number": "(2026)\u0000", "title": "t"},
        True,
    ),
    ("NUL in a search query", "GET", "/api/v1/hearings?q=a%00b", None, True),
    ("NUL in a public query, no token", "GET", "/api/v1/public/hearings?date=%00", None, False),
    ("NUL in a path", "GET", "/api/v1/hearings/a%00b", None, True),
]


@pytest.fixture(scope="module")
def client(api_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url, timeout=30) as plain:
        yield plain


@pytest.mark.parametrize(
    ("method", "path", "body", "with_token"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_an_input_that_once_broke_the_server_gets_422(
    api_server: RunningServer,
    client: httpx.Client,
    method: str,
    path: str,
    body: object,
    with_token: bool,
) -> None:
    headers = {"Authorization": f"Bearer {api_server.admin_token}"} if with_token else {}
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"], response.text


def test_nul_split_across_body_chunks_is_still_found(
    api_server: RunningServer, client: httpx.Client
) -> None:
    body = b'{"number": "(2026)\\u0000", "title": "t"}'
    cut = body.index(b"u0000")  # the backslash ends one chunk, "u0000" starts the next

    def chunks() -> Iterator[bytes]:
        yield body[:cut]
        time.sleep(0.3)  # so the two chunks reach the server apart
        yield body[cut:]

    response = client.post(
        "/api/v1/cases",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {api_server.admin_token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"]
