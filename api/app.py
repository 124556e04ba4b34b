"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse

from api.admission import PeerAdmission
from api.audit_trail import install_audit_trail
from api.court_config import court_config, open_store
from api.court_errors import install_court_errors
from api.forwarded_client import ForwardedClient
from api.holder import install_holder_handler
from api.openapi_errors import document_errors
from api.request_limits import RequestLimits
from api.routes import (
    assignments,
    audit,
    broadcast,
    case_codes,
    cases,
    confirmations,
    courtrooms,
    events,
    export,
    feed,
    feeds,
    health,
    hearings,
    keys,
    live,
    live_record,
    me,
    metrics,
    nodes,
    oversight,
    package,
    pages,
    program,
    public,
    qr,
    recordings,
    replays,
    screens,
    sittings,
    tickets,
    tokens,
    transcript,
    whep,
    whip,
)
from api.security_headers import SecurityHeaders, s3_origin
from api.settings import Settings
from court.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(court_config(settings), open_store(settings))
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Courtcast",
        version="0.1.0",
        summary="Courtroom recording and streaming: WHIP in, passthrough fMP4 archive, HLS out.",
        lifespan=lifespan,
    )
    routers = (
        health,
        courtrooms,
        cases,
        hearings,
        recordings,
        transcript,
        tokens,
        me,
        whip,
        whep,
        feed,
        events,
        metrics,
        audit,
        assignments,
        export,
        package,
        keys,
        broadcast,
        live,
        public,
        tickets,
        feeds,
        qr,
        nodes,
        sittings,
        case_codes,
        screens,
        oversight,
        replays,
        live_record,
        confirmations,
        program,
        pages,
    )
    for module in routers:
        app.include_router(module.router)
    app.mount("/assets", pages.assets, name="assets")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        # browsers ask for it on every page whatever the page links: a 404 in every log
        return FileResponse(pages.PAGES_DIR / "static" / "favicon.svg", media_type="image/svg+xml")

    install_audit_trail(app)
    app.add_middleware(
        RequestLimits,
        max_json_bytes=settings.max_json_bytes,
        max_sdp_bytes=settings.max_sdp_bytes,
    )
    app.state.admission = PeerAdmission(settings)
    app.state.settings = settings
    document_errors(app)
    install_court_errors(app)
    install_holder_handler(app)
    app.add_middleware(SecurityHeaders, media_origin=s3_origin(settings))
    app.add_middleware(ForwardedClient)  # outermost: everything after sees the real client

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        # Logged with its traceback; the client gets JSON, never an HTML page.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    return app
