"""Security headers on every response: a self-only Content-Security-Policy, nosniff, no referrer.

The pages load only their own scripts and styles (no inline code), so a script
injected through a case title or a transcript line cannot run, and no other
site may frame the console to trick an operator into pressing its kill switch.
Media may come from the S3 endpoint, because archive and live segments redirect
to presigned URLs there; hls.js plays through MediaSource (`blob:` media), may
start its transmuxing worker from a `blob:` URL, and the review page hands it
its playlist as a `blob:` URL (links made absolute), which hls.js fetches.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings


def s3_origin(settings: Settings) -> str | None:
    """The origin presigned URLs point at; the endpoint is `host:port`, as minio takes it."""
    endpoint = settings.s3_endpoint
    if not endpoint:
        return None
    if "://" not in endpoint:
        endpoint = f"{'https' if settings.s3_secure else 'http'}://{endpoint}"
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(media_origin: str | None = None) -> str:
    extra = f" {media_origin}" if media_origin else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "media-src": f"'self' blob:{extra}",
        # 'self' covers the events websocket on the same host; review hands hls.js a blob: playlist
        "connect-src": f"'self' blob:{extra}",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """Pure ASGI, so streamed bodies pass through untouched; a header a route set wins."""

    def __init__(self, app: ASGIApp, *, media_origin: str | None = None) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(media_origin).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in self.headers if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
