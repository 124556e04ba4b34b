"""Create the courtroom, case and hearing a test needs, through the public API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.serials import case_number


@dataclass(frozen=True)
class Courtroom:
    id: str
    cameras: list[str]


async def create_courtroom(client: httpx.AsyncClient, cameras: list[str]) -> Courtroom:
    response = await client.post(
        "/api/v1/courtrooms", json={"name": "第三法庭", "kind": "courtroom", "cameras": cameras}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Courtroom(id=body["id"], cameras=body["cameras"])


async def create_case(client: httpx.AsyncClient, **extra: object) -> str:
    """A case with a fresh number; `extra` adds fields such as case_type or parties."""
    number = case_number()
    case = await client.post(
        "/api/v1/cases", json={"number": number, "title": "张三诉李四合同纠纷", **extra}
    )
    assert case.status_code == 201, case.text
    case_id: str = case.json()["id"]
    return case_id


async def create_hearing(
    client: httpx.AsyncClient,
    courtroom_id: str,
    visibility: str = "public",
    case_type: str = "default",
    case_id: str | None = None,
) -> str:
    """A hearing today in the courtroom, of `case_id` or of a new case of `case_type`."""
    hearing = await client.post(
        "/api/v1/hearings",
        json={
            "case_id": case_id or await create_case(client, case_type=case_type),
            "courtroom_id": courtroom_id,
            "title": "第一次开庭",
            "scheduled_start": datetime.now(UTC).isoformat(),
            "visibility": visibility,
        },
    )
    assert hearing.status_code == 201, hearing.text
    hearing_id: str = hearing.json()["id"]
    return hearing_id


@dataclass(frozen=True)
class StartedRecording:
    """A hearing being recorded in a fresh courtroom, as an operator would set it up."""

    courtroom: Courtroom
    hearing_id: str
    id: str

    def whip_url(self, base_url: str, camera: str = "bench") -> str:
        return f"{base_url}/whip/{self.courtroom.id}/{camera}"


async def start_recording(
    client: httpx.AsyncClient, cameras: list[str] | None = None, case_type: str = "default"
) -> StartedRecording:
    courtroom = await create_courtroom(client, cameras or ["bench"])
    hearing_id = await create_hearing(client, courtroom.id, case_type=case_type)
    response = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
    assert response.status_code == 201, response.text
    return StartedRecording(courtroom, hearing_id, response.json()["id"])


def sitting_plan(courtroom_id: str, hearing_ids: list[str]) -> dict[str, object]:
    """What an operator posts to plan a sitting of these hearings, in this order."""
    return {
        "courtroom_id": courtroom_id,
        "title": "减刑假释案件集中开庭",
        "scheduled_start": datetime.now(UTC).isoformat(),
        "hearing_ids": hearing_ids,
    }


async def create_sitting(
    client: httpx.AsyncClient, courtroom_id: str, hearing_ids: list[str]
) -> dict[str, Any]:
    planned = await client.post("/api/v1/sittings", json=sitting_plan(courtroom_id, hearing_ids))
    assert planned.status_code == 201, planned.text
    sitting: dict[str, Any] = planned.json()
    return sitting
