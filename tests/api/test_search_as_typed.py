"""Search the way judges type: full-width case numbers, any part of a number, names that are
only in the case title, and result rows that say which case, courtroom and parties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.server import RunningServer

# (number as entered, title, parties); the second has no parties entered
CASES = [
    ("(2026)湘04民初123号", "王五诉赵六房屋租赁合同纠纷", [("王五", "原告"), ("赵六", "被告")]),
    ("(2026)湘04民初1234号", "张三诉李四合同纠纷", []),
    ("〔2025〕湘04刑初7号", "陈七盗窃案", [("陈七", "被告人")]),
    ("(2026)湘04民初50%_9号", "周八诉吴九借款纠纷", []),
]


@dataclass
class Court:
    courtroom: str
    cases: list[str]
    hearings: list[str]  # one per case, the last sealed
    recording: str  # of the first hearing
    judge: str  # a judge's token, not assigned to the sealed hearing


@pytest.fixture(scope="module")
def court(api_server: RunningServer) -> Court:
    headers = {"Authorization": f"Bearer {api_server.admin_token}"}
    with httpx.Client(base_url=api_server.base_url, headers=headers, timeout=30) as client:

        def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            response = client.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            created: dict[str, Any] = response.json()
            return created

        room = post("/api/v1/courtrooms", {"name": "第三法庭", "cameras": ["bench"]})["id"]
        cases = [
            post(
                "/api/v1/cases",
                {
                    "number": number,
                    "title": title,
                    "parties": [{"name": n, "role": r} for n, r in parties],
                },
            )["id"]
            for number, title, parties in CASES
        ]
        hearings = [
            post(
                "/api/v1/hearings",
                {
                    "case_id": case_id,
                    "courtroom_id": room,
                    "title": "第一次开庭",
                    "scheduled_start": f"2026-03-0{i + 1}T01:30:00Z",
                    "visibility": "sealed" if i == len(cases) - 1 else "public",
                },
            )["id"]
            for i, case_id in enumerate(cases)
        ]
        recording = post(f"/api/v1/hearings/{hearings[0]}/recordings")["id"]
        post(f"/api/v1/recordings/{recording}/stop")
        judge = post("/api/v1/tokens", {"role": "judge", "name": "审判员"})["token"]
        return Court(room, cases, hearings, recording, judge)


async def search(server: RunningServer, token: str | None = None, **params: str) -> list[Any]:
    async with server.client(token) as client:
        response = await client.get("/api/v1/hearings", params=params)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def found(server: RunningServer, **params: str) -> set[str]:
    return {item["id"] for item in await search(server, **params)}


async def test_a_full_width_number_finds_the_case_entered_half_width(
    api_server: RunningServer, court: Court
) -> None:
    typed = "（２０２６）湘０４民初１２３号"
    assert await found(api_server, case_number=typed) == {court.hearings[0]}
    assert await found(api_server, case_number="（2026） 湘04民初123号") == {court.hearings[0]}
    # and the other way round: entered with 〔〕, typed with ()
    assert await found(api_server, case_number="(2025)湘04刑初7号") == {court.hearings[2]}


async def test_any_part_of_a_number_finds_it(api_server: RunningServer, court: Court) -> None:
    assert await found(api_server, case_number="民初123") == set(court.hearings[:2])
    assert await found(api_server, case_number="民初123号") == {court.hearings[0]}
    assert await found(api_server, case_number="刑初７") == {court.hearings[2]}
    assert await found(api_server, case_number="民初999") == set()


async def test_like_wildcards_in_a_number_are_taken_literally(
    api_server: RunningServer, court: Court
) -> None:
    assert await found(api_server, case_number="民初1_3") == set()
    assert await found(api_server, case_number="民初%号") == set()
    assert await found(api_server, case_number="50%_9") == {court.hearings[3]}


async def test_a_party_never_entered_is_found_in_the_case_title(
    api_server: RunningServer, court: Court
) -> None:
    assert await found(api_server, party="张三") == {court.hearings[1]}
    assert await found(api_server, party="李四") == {court.hearings[1]}
    assert await found(api_server, party="赵六") == {court.hearings[0]}  # entered, and in title
    assert await found(api_server, party="合同纠纷") == set(court.hearings[:2])


async def test_a_row_says_case_courtroom_parties_status_and_recordings(
    api_server: RunningServer, court: Court
) -> None:
    (row,) = await search(api_server, case_number="民初123号")
    assert row["case_number"] == "(2026)湘04民初123号"
    assert row["case_title"] == "王五诉赵六房屋租赁合同纠纷"
    assert row["courtroom_name"] == "第三法庭"
    assert row["parties"] == [{"name": "王五", "role": "原告"}, {"name": "赵六", "role": "被告"}]
    assert row["status"] == "in_session"
    assert [r["id"] for r in row["recordings"]] == [court.recording]
    assert row["recordings"][0]["status"] == "stopped"
    (other,) = await search(api_server, party="张三")
    assert (other["parties"], other["recordings"]) == ([], [])


async def test_a_sealed_case_is_found_only_by_whoever_may_see_it(
    api_server: RunningServer, court: Court
) -> None:
    sealed = court.hearings[3]
    assert await found(api_server, party="周八") == {sealed}  # admin
    for params in ({"party": "周八"}, {"case_number": "50%_9"}, {"q": "周八"}):
        assert await search(api_server, court.judge, **params) == []


async def test_the_same_number_typed_full_width_is_the_same_case(
    api_server: RunningServer, court: Court
) -> None:
    async with api_server.client() as client:
        again = await client.post(
            "/api/v1/cases", json={"number": "（2026）湘04民初123号", "title": "重复"}
        )
        listed = await client.get("/api/v1/cases", params={"number": "（2026）湘04民初123号"})
    assert again.status_code == 409, again.text
    assert [case["id"] for case in listed.json()] == [court.cases[0]]
