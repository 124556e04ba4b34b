"""What an operator sets up through the JSON API before a page is used: synchronous, for
Playwright's sync API (the shared helpers in tests/support are async)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Page, expect

from tests.support.serials import case_number


@dataclass(frozen=True)
class Hearing:
    id: str
    courtroom_id: str
    cameras: list[str]


def created(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def create_hearing(
    api: httpx.Client, cameras: list[str], *, room: dict[str, object] | None = None
) -> Hearing:
    """A public hearing in a new courtroom with these cameras (or the room `room` asks for)."""
    courtroom = created(
        api.post(
            "/api/v1/courtrooms",
            json=room or {"name": "第三法庭", "kind": "courtroom", "cameras": cameras},
        )
    )
    return hearing_in(api, str(courtroom["id"]), cameras)


def hearing_in(
    api: httpx.Client,
    courtroom_id: str,
    cameras: list[str],
    *,
    visibility: str = "public",
    number: str | None = None,
) -> Hearing:
    """A hearing of a new case in the courtroom."""
    case = created(
        api.post(
            "/api/v1/cases",
            json={
                "number": number or case_number(),
                "title": "张三诉李四",
            },
        )
    )
    hearing = created(
        api.post(
            "/api/v1/hearings",
            json={
                "case_id": case["id"],
                "courtroom_id": courtroom_id,
                "title": "第一次开庭",
                "scheduled_start": datetime.now(UTC).isoformat(),
                "visibility": visibility,
            },
        )
    )
    return Hearing(id=str(hearing["id"]), courtroom_id=courtroom_id, cameras=cameras)


PARTIES = [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}]


def published_hearing_with_parties(page: Page, api: httpx.Client) -> Hearing:
    """A public hearing whose case has two parties, its bench camera publishing from `page`."""
    hearing = create_hearing(api, ["bench"])
    case_id = api.get(f"/api/v1/hearings/{hearing.id}").json()["case_id"]
    assert api.patch(f"/api/v1/cases/{case_id}", json={"parties": PARTIES}).status_code == 200
    publish_from_page(page, api, hearing, "bench")
    return hearing


def camera_token(api: httpx.Client, courtroom_id: str, camera: str) -> str:
    body = created(
        api.post(
            "/api/v1/tokens",
            json={
                "role": "camera",
                "name": f"{camera} camera",
                "courtroom_ids": [courtroom_id],
                "camera": camera,
            },
        )
    )
    return str(body["token"])


def publish_link(token: str) -> str:
    """The link an operator sends to the laptop or phone that will be the camera: the token
    names its courtroom and camera, and travels in the fragment, which no request carries."""
    return "/publish#" + urlencode({"token": token})


def publish_from_page(page: Page, api: httpx.Client, hearing: Hearing, camera: str) -> None:
    """Open the publish page with a fresh camera token and publish until the page says live."""
    token = camera_token(api, hearing.courtroom_id, camera)
    page.goto(publish_link(token))
    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state")).to_have_class("state state-live", timeout=20_000)


def create_sitting(api: httpx.Client, courtroom_id: str, hearing_ids: list[str]) -> str:
    """A planned sitting of these hearings, in this order; returns its id."""
    body = created(
        api.post(
            "/api/v1/sittings",
            json={
                "courtroom_id": courtroom_id,
                "title": "减刑假释案件集中开庭",
                "scheduled_start": datetime.now(UTC).isoformat(),
                "hearing_ids": hearing_ids,
            },
        )
    )
    return str(body["id"])
