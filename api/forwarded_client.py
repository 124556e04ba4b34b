"""The client address of a request another node or worker forwarded here.

api/holder.py forwards a viewer's live playlist or part, and staff commands, to the node
holding the courtroom. Without this the holder would see every forwarded request as coming
from the forwarding node, and the per-address limits (wrong access codes, viewers per
address) would lump strangers together: one guesser could lock out every family whose
requests pass through that node. The forwarding node states the address it saw, signed with
the installation's link key (every node shares it) for this path and a few seconds; any other
claim, a client's own included, is ignored.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from court.live.signed_urls import UrlSigner

CLIENT_HEADER = "X-Courtcast-Client"
CLAIM_S = 30  # a forward is sent at once: a claim needs to live only that long
_CLAIM_PATH = "forwarded-client:"


def client_claim(signer: UrlSigner, address: str, path: str) -> str:
    """The header value a forwarding node sends: `address` asked for `path`."""
    return signer.query(_CLAIM_PATH + path, subject=address, lifetime_s=CLAIM_S)


def claimed_address(
    signer: UrlSigner, claim: str, path: str, *, now: float | None = None
) -> str | None:
    """The address a valid, unexpired claim for `path` states; None for anything else."""
    return signer.claimant(_CLAIM_PATH + path, claim, now=now)


class ForwardedClient:
    """ASGI middleware: a forwarded request's client is the address its forwarder saw."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            claim = _header(scope, CLIENT_HEADER.lower().encode())
            runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
            if claim is not None and runtime is not None:
                address = claimed_address(runtime.signer, claim, scope["path"])
                if address is not None:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
