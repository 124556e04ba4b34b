"""Writes the audit log for every control action and every archive access.

A middleware rather than a line in each route, so a new route cannot forget
it: every successful change under /api/v1 (and WHIP/WHEP), and every read of
archived footage (playlists, segments, exports), becomes one entry with the
caller, the route and the client address.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from court.principals import Principal
from court.runtime import Runtime

log = logging.getLogger(__name__)

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ARCHIVE_READS = (
    "/playlist.m3u8",
    "/segments/{name}",
    "/export.mp4",
    "/export.json",
    "/package",
)
AUDITED_PREFIXES = ("/api/v1/", "/whip/", "/whep/")
UNAUDITED_READS = ("/api/v1/audit",)  # reading the log is not itself an archive access


def is_audited(method: str, route_path: str) -> bool:
    if not route_path.startswith(AUDITED_PREFIXES):
        return False
    if method in CHANGES:
        return True
    return method == "GET" and route_path.endswith(ARCHIVE_READS)


def install_audit_trail(app: FastAPI) -> None:
    @app.middleware("http")
    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        route = request.scope.get("route")
        route_path: str = getattr(route, "path", "")
        if response.status_code < 400 and is_audited(request.method, route_path):
            await _write(request, route_path, response.status_code)
        return response


async def _write(request: Request, route_path: str, status_code: int) -> None:
    runtime: Runtime = request.app.state.runtime
    principal: Principal | None = getattr(request.state, "principal", None)
    endpoint = request.scope.get("endpoint")
    try:
        async with runtime.db.session() as session:
            await runtime.audit.append(
                session,
                actor=principal.name if principal else "signed link",
                role=principal.role if principal else "viewer",
                action=getattr(endpoint, "__name__", f"{request.method} {route_path}"),
                target=request.url.path,
                source=request.client.host if request.client else "",
                details={
                    "method": request.method,
                    "route": route_path,
                    "status": status_code,
                    "token_id": principal.token_id if principal else None,
                },
            )
    except Exception:  # the action already happened; losing its entry must be loud, not fatal
        log.exception("could not write the audit entry for %s %s", request.method, request.url)
