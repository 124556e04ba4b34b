"""The browser pages, served by the app itself: plain HTML with small ES modules under api/pages/.

Each page is one HTML file whose `{{court_timezone}}` placeholder is filled from the settings,
so the scripts show times in the court's zone. Adding a page is one entry in `PAGES`.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.deps import SettingsDep
from api.settings import Settings

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
# `npm ci` at the repository top fills node_modules; the app serves hls.js from there.
HLS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "hls.js" / "dist"
HLS_FILES = {"hls.min.mjs": "text/javascript", "hls.min.mjs.map": "application/json"}

# URL path -> HTML file in PAGES_DIR.
PAGES = {
    "/publish": "publish.html",
    "/console": "console.html",
    "/review": "review.html",
    "/desk": "desk.html",
    "/watch": "watch-list.html",
    "/watch/{hearing_id}": "watch.html",
    "/screen/{screen_id}": "screen.html",
    "/display/{courtroom_id}": "display.html",
    "/confirm/{recording_id}": "confirm.html",
    "/supervise": "supervise.html",
}

router = APIRouter(tags=["pages"], include_in_schema=False)
assets = StaticFiles(directory=PAGES_DIR / "static")


def render(name: str, settings: SettingsDep) -> HTMLResponse:
    text = (PAGES_DIR / name).read_text(encoding="utf-8")
    text = text.replace("{{court_timezone}}", html.escape(settings.court_timezone))
    # Pages change with the code; a stale cached page would load mismatched modules.
    return HTMLResponse(text, headers={"Cache-Control": "no-cache"})


def page_route(name: str) -> Callable[[Settings], Awaitable[HTMLResponse]]:
    async def serve(settings: SettingsDep) -> HTMLResponse:
        return render(name, settings)

    return serve


for path, file_name in PAGES.items():
    router.add_api_route(path, page_route(file_name), methods=["GET"], response_class=HTMLResponse)


@router.get("/vendor/hls.js/{name}")
async def hls_js(name: str) -> FileResponse:
    """hls.js as installed from the npm registry; only the watch page's fallback loads it."""
    media_type = HLS_FILES.get(name)
    if media_type is None or not (HLS_DIST / name).is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "hls.js is not installed (run npm ci)")
    return FileResponse(HLS_DIST / name, media_type=media_type)
