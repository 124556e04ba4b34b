"""Bound every request body while it streams, before any route or token check runs.

A client that posts 48 MB to a JSON route must cost the event loop that carries
every camera almost nothing: a declared Content-Length over the limit gets 413
before one body byte is read, a body without one (chunked) gets 413 the moment
its running count passes the limit. The answer goes out whole at once; then at
most 1 MiB (or 1 s) more of what the client already sent is read and dropped,
since closing a socket with unread bytes resets it and a client still writing
would lose its 413, and the connection is closed: the rest is never read.
Chunks are kept in a list and joined once: linear time.

The same pass refuses NUL (U+0000) in the path, query and body (JSON, or any
type a route might still read as JSON; SDP never reaches the index) with 422:
PostgreSQL cannot store it in text, SQLite truncates on it elsewhere, and no
court document needs it. The body is checked whole, so a `\\u0000` split across
chunks is still found.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SDP = b"application/sdp"
NUL_DETAIL = "text may not contain NUL (U+0000) characters"
DRAIN_BYTES = 1024 * 1024  # read and dropped after a 413, at most, before the socket closes
DRAIN_S = 1.0


class RequestLimits:
    """Pure ASGI: application/sdp bodies up to `max_sdp_bytes`, any other up to `max_json_bytes`."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_sdp_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_sdp_bytes = max_sdp_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await _answer(send, 422, NUL_DETAIL)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = self.max_sdp_bytes if content_type == SDP else self.max_json_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(receive, send, limit, more=message.get("more_body", False))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if content_type != SDP and (b"\\u0000" in body or b"\x00" in body):
            await _answer(send, 422, NUL_DETAIL)
            return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The body already read, then the real channel (for the client's disconnect)."""

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


async def _too_large(receive: Receive, send: Send, limit: int, *, more: bool = True) -> None:
    """The whole 413 at once, then a bounded drain, then the socket closes."""
    await _answer(send, 413, f"request body over {limit} bytes", close=True)
    drained = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_S):
            while more and drained < DRAIN_BYTES:
                message = await receive()
                drained += len(message.get("body", b""))
                more = message["type"] == "http.request" and message.get("more_body", False)
    # The answer's last (empty) part: with "Connection: close", uvicorn closes the socket now.
    await send({"type": "http.response.body", "body": b""})


async def _answer(send: Send, status: int, detail: str, *, close: bool = False) -> None:
    """The JSON answer; with `close`, the response stays open for `_too_large` to end."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": close})
