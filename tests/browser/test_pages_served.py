"""Every page and the files it loads come from the app itself, as UTF-8."""

from __future__ import annotations

import httpx
import pytest

PAGES = ["/publish", "/watch/any-hearing-id", "/watch", "/console", "/review"]


@pytest.mark.parametrize("path", PAGES)
def test_page_is_utf8_html(api: httpx.Client, path: str) -> None:
    response = httpx.get(str(api.base_url.join(path)))  # no token: pages are public
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.content.decode("utf-8")
    assert '<meta charset="utf-8">' in text
    assert 'lang="zh-CN"' in text
    assert '<meta name="court-timezone" content="Asia/Shanghai">' in text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/assets/css/courtcast.css", "text/css"),
        ("/assets/js/i18n.js", "javascript"),
        ("/assets/locales/zh-CN.js", "javascript"),
        ("/vendor/hls.js/hls.min.mjs", "javascript"),  # installed by npm ci, never committed
    ],
)
def test_page_files_are_served(api: httpx.Client, path: str, content_type: str) -> None:
    response = httpx.get(str(api.base_url.join(path)))
    assert response.status_code == 200, path
    assert content_type in response.headers["content-type"]


def test_unknown_vendor_file_is_404(api: httpx.Client) -> None:
    response = httpx.get(str(api.base_url.join("/vendor/hls.js/package.json")))
    assert response.status_code == 404
    assert "detail" in response.json()
