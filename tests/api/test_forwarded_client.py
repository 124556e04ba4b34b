"""A forwarded request counts against its real client's limits, and nobody else can say so."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from api.forwarded_client import CLIENT_HEADER, ForwardedClient, claimed_address, client_claim
from court.live.signed_urls import UrlSigner

SIGNER = UrlSigner(b"installation link key")
PATH = "/live/h1/bench/playlist.m3u8"


def _client_seen(headers: dict[str, str], path: str = PATH) -> Any:
    """The client the app behind the middleware sees for a request from 127.0.0.1."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"]

    scope = {
        "type": "http",
        "path": path,
        "client": ("127.0.0.1", 51000),
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
        "app": SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(signer=SIGNER))),
    }
    asyncio.run(ForwardedClient(app)(scope, None, None))  # type: ignore[arg-type]
    return seen["client"]


def test_a_forwarding_nodes_claim_gives_the_client_it_saw() -> None:
    claim = client_claim(SIGNER, "203.0.113.7", PATH)
    assert _client_seen({CLIENT_HEADER: claim}) == ("203.0.113.7", 0)


def test_without_a_claim_the_peer_is_the_client() -> None:
    assert _client_seen({}) == ("127.0.0.1", 51000)


def test_a_claim_signed_with_another_key_is_ignored() -> None:
    forged = client_claim(UrlSigner(b"guessed key"), "203.0.113.7", PATH)
    assert _client_seen({CLIENT_HEADER: forged}) == ("127.0.0.1", 51000)


def test_a_claim_for_another_path_is_ignored() -> None:
    claim = client_claim(SIGNER, "203.0.113.7", "/live/h2/bench/playlist.m3u8")
    assert _client_seen({CLIENT_HEADER: claim}) == ("127.0.0.1", 51000)


def test_a_claim_lives_seconds_only() -> None:
    claim = client_claim(SIGNER, "203.0.113.7", PATH)
    assert claimed_address(SIGNER, claim, PATH, now=time.time() + 25) == "203.0.113.7"
    assert claimed_address(SIGNER, claim, PATH, now=time.time() + 31) is None


def test_garbled_claims_are_ignored() -> None:
    for garbage in (
        "",
        "exp=1",
        "sub=x&sub=y&exp=99999999999&sig=00",
        "%%%",
        "exp=abc&sub=a&sig=b",
    ):
        assert _client_seen({CLIENT_HEADER: garbage}) == ("127.0.0.1", 51000)
