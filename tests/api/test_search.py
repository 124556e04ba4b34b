"""Search over a seeded court: every filter, combinations, Chinese full text, pagination.

Each expectation is computed from the seed itself, so a wrong or missing row shows up as
a set difference rather than a count that happens to match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.server import RunningServer

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

CASES = [
    ("(2026)湘04民初101号", "张三诉李四民间借贷纠纷", [("张三", "原告"), ("李四", "被告")]),
    ("(2026)湘04民初102号", "王五诉赵六房屋租赁合同纠纷", [("王五", "原告"), ("赵六", "被告")]),
    ("(2026)湘04刑初7号", "陈七盗窃案", [("衡阳市人民检察院", "公诉人"), ("陈七", "被告人")]),
    (
        "(2025)京01民终88号",
        "Acme Ltd v. Beta Corp",
        [("Acme Ltd", "plaintiff"), ("100% Beta", "x")],
    ),
]


@dataclass
class Seeded:
    """Hearings as created, with what their recordings were given."""

    courtrooms: list[str]
    case_ids: list[str]
    hearings: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)

    def expect(self, keep: Callable[[dict[str, Any]], bool]) -> list[str]:
        """Ids of the kept hearings in the API's order: newest scheduled first."""
        kept = [h for h in self.hearings if keep(h)]
        return [h["id"] for h in sorted(kept, key=lambda h: h["scheduled_start"], reverse=True)]


def _hearing_specs() -> Iterator[dict[str, Any]]:
    """Twelve hearings: case i % 4, courtroom i % 6, judges, visibility and status varied.

    Six courtrooms, so that no room holds two hearings in session or in recess at once (a
    courtroom has one hearing in session: court/in_session.py)."""
    judges = ["王法官", "李法官", None]
    visibilities = ["public", "restricted", "sealed"]
    statuses = ["closed", "recess", "in_session", "scheduled"]
    for i in range(12):
        yield {
            "case": i % 4,
            "courtroom": i % 6,
            "title": f"第{i + 1}次开庭" + ("（证据交换）" if i % 5 == 0 else ""),
            "scheduled_start": T0 + timedelta(days=7 * i),
            "judge": judges[i % 3],
            "visibility": visibilities[i % 3],
            "status": statuses[i % 4],
            "markers": [("witness_sworn", "证人周八宣誓")] if i in (2, 9) else [],
            "transcript": [("审判长", f"第{i}号证物为借条原件")] if i % 3 == 1 else [],
        }


@pytest.fixture(scope="module")
def seeded(api_server: RunningServer) -> Seeded:
    headers = {"Authorization": f"Bearer {api_server.admin_token}"}
    with httpx.Client(base_url=api_server.base_url, headers=headers, timeout=30) as client:

        def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            response = client.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            result: dict[str, Any] = response.json()
            return result

        courtrooms = [
            post("/api/v1/courtrooms", {"name": name, "cameras": ["bench"]})["id"]
            for name in ("第一法庭", "第二法庭", "第三法庭", "第四法庭", "第五法庭", "第六法庭")
        ]
        case_ids = [
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
        seed = Seeded(courtrooms, case_ids)
        # the hearings left open come last: recording the next hearing in a room closes it
        for spec in sorted(_hearing_specs(), key=lambda h: h["status"] in ("in_session", "recess")):
            hearing = post(
                "/api/v1/hearings",
                {
                    "case_id": case_ids[spec["case"]],
                    "courtroom_id": courtrooms[spec["courtroom"]],
                    "title": spec["title"],
                    "scheduled_start": spec["scheduled_start"].isoformat(),
                    "visibility": spec["visibility"],
                    "presiding_judge": spec["judge"],
                },
            )
            spec["id"] = hearing["id"]
            if spec["status"] != "scheduled":
                recording = post(f"/api/v1/hearings/{hearing['id']}/recordings")
                for kind, text in spec["markers"]:
                    body = {"at": T0.isoformat(), "kind": kind, "text": text}
                    post(f"/api/v1/recordings/{recording['id']}/markers", body)
                for role, text in spec["transcript"]:
                    body = {"at": T0.isoformat(), "speaker_role": role, "text": text}
                    post(f"/api/v1/recordings/{recording['id']}/transcript", body)
                post(f"/api/v1/recordings/{recording['id']}/stop")
                seed.recordings.append({**recording, "hearing": spec})
                if spec["status"] != "in_session":
                    patched = client.patch(
                        f"/api/v1/hearings/{hearing['id']}", json={"status": spec["status"]}
                    )
                    assert patched.status_code == 200, patched.text
            seed.hearings.append(spec)
        return seed


async def hearing_ids(server: RunningServer, **params: Any) -> list[str]:
    async with server.client() as client:
        response = await client.get("/api/v1/hearings", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["next"] is None  # every seeded answer fits one page
    return [item["id"] for item in response.json()["items"]]


async def test_case_number_exact_and_prefix(api_server: RunningServer, seeded: Seeded) -> None:
    exact = await hearing_ids(api_server, case_number="(2026)湘04民初101号")
    assert exact == seeded.expect(lambda h: h["case"] == 0)
    civil = await hearing_ids(api_server, case_number="(2026)湘04民初")
    assert civil == seeded.expect(lambda h: h["case"] in (0, 1))
    court = await hearing_ids(api_server, case_number="(2026)湘04")
    assert court == seeded.expect(lambda h: h["case"] in (0, 1, 2))
    assert await hearing_ids(api_server, case_number="(2026)湘05") == []


async def test_party_name_contains_short_long_and_latin(
    api_server: RunningServer, seeded: Seeded
) -> None:
    assert await hearing_ids(api_server, party="张三") == seeded.expect(lambda h: h["case"] == 0)
    assert await hearing_ids(api_server, party="人民检察院") == seeded.expect(
        lambda h: h["case"] == 2
    )
    assert await hearing_ids(api_server, party="acme") == seeded.expect(lambda h: h["case"] == 3)
    # LIKE wildcards in the query are literal characters
    assert await hearing_ids(api_server, party="0% B") == seeded.expect(lambda h: h["case"] == 3)
    assert await hearing_ids(api_server, party="%") == seeded.expect(lambda h: h["case"] == 3)


async def test_judge_courtroom_status_visibility_dates(
    api_server: RunningServer, seeded: Seeded
) -> None:
    assert await hearing_ids(api_server, judge="王法官") == seeded.expect(
        lambda h: h["judge"] == "王法官"
    )
    room = seeded.courtrooms[1]
    assert await hearing_ids(api_server, courtroom_id=room) == seeded.expect(
        lambda h: h["courtroom"] == 1
    )
    for status in ("scheduled", "in_session", "recess", "closed"):
        assert await hearing_ids(api_server, status=status) == seeded.expect(
            lambda h, s=status: h["status"] == s
        )
    assert await hearing_ids(api_server, visibility="sealed") == seeded.expect(
        lambda h: h["visibility"] == "sealed"
    )
    start, end = T0 + timedelta(days=14), T0 + timedelta(days=42)  # both ends inclusive
    assert await hearing_ids(
        api_server, date_from=start.isoformat(), date_to=end.isoformat()
    ) == seeded.expect(lambda h: start <= h["scheduled_start"] <= end)


async def test_filters_combine(api_server: RunningServer, seeded: Seeded) -> None:
    start = T0 + timedelta(days=20)
    assert await hearing_ids(
        api_server, judge="李法官", date_from=start.isoformat()
    ) == seeded.expect(lambda h: h["judge"] == "李法官" and h["scheduled_start"] >= start)
    assert await hearing_ids(
        api_server, courtroom_id=seeded.courtrooms[0], status="closed"
    ) == seeded.expect(lambda h: h["courtroom"] == 0 and h["status"] == "closed")
    assert await hearing_ids(
        api_server, case_number="(2026)湘04民初", q="借条原件", visibility="restricted"
    ) == seeded.expect(
        lambda h: h["case"] in (0, 1) and bool(h["transcript"]) and h["visibility"] == "restricted"
    )


async def test_chinese_full_text_over_titles_markers_and_transcript(
    api_server: RunningServer, seeded: Seeded
) -> None:
    def says(h: dict[str, Any], text: str) -> bool:
        written = [CASES[h["case"]][1], h["title"], *(t for _, t in h["markers"])]
        written += [t for _, t in h["transcript"]] if h["status"] != "scheduled" else []
        return any(text.lower() in w.lower() for w in written)

    # two characters (an index of their own) at the end of a text too; Latin in any case
    for q in (
        *("房屋租赁", "证据交换", "证人周八", "借条原件", "借贷", "周八", "纠纷", "开庭"),
        *("盗", "beta corp", "bE", "P"),
    ):
        assert await hearing_ids(api_server, q=q) == seeded.expect(lambda h, q=q: says(h, q)), q
    assert await hearing_ids(api_server, q="不存在的词") == []


async def test_pages_by_cursor_and_offset_have_no_gaps_or_duplicates(
    api_server: RunningServer, seeded: Seeded
) -> None:
    everything = seeded.expect(lambda h: True)
    async with api_server.client() as client:
        walked: list[str] = []
        params: dict[str, Any] = {"limit": 5}
        while True:
            page = (await client.get("/api/v1/hearings", params=params)).json()
            walked += [item["id"] for item in page["items"]]
            if page["next"] is None:
                break
            params["cursor"] = page["next"]
        assert walked == everything
        second = (await client.get("/api/v1/hearings", params={"limit": 5, "offset": 5})).json()
        assert [item["id"] for item in second["items"]] == everything[5:10]
        for bad in ({"cursor": "not-a-cursor"}, {"limit": 201}, {"limit": 0}, {"offset": -1}):
            refused = await client.get("/api/v1/hearings", params=bad)
            assert refused.status_code == 422, bad
            assert refused.json()["detail"]


async def test_recordings_search(api_server: RunningServer, seeded: Seeded) -> None:
    by_hearing = {r["hearing"]["id"]: r["id"] for r in seeded.recordings}
    async with api_server.client() as client:

        async def recording_ids(**params: Any) -> set[str]:
            response = await client.get("/api/v1/recordings", params=params)
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        def expect(keep: Callable[[dict[str, Any]], bool]) -> set[str]:
            return {by_hearing[h] for h in seeded.expect(keep) if h in by_hearing}

        assert await recording_ids(q="借条原件") == expect(lambda h: bool(h["transcript"]))
        assert await recording_ids(q="周八") == expect(lambda h: bool(h["markers"]))
        assert await recording_ids(party="赵六") == expect(lambda h: h["case"] == 1)
        assert await recording_ids(courtroom_id=seeded.courtrooms[0], status="stopped") == expect(
            lambda h: h["courtroom"] == 0
        )
        assert await recording_ids(status="recording") == set()
        assert await recording_ids(date_from=datetime.now(UTC).isoformat()) == set()
        walked: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        while True:
            page = (await client.get("/api/v1/recordings", params=params)).json()
            walked += [item["id"] for item in page["items"]]
            if not page["next"]:
                break
            params["cursor"] = page["next"]
        assert sorted(walked) == sorted(by_hearing.values())
        assert len(walked) == len(set(walked))


async def test_an_edited_transcript_line_is_found_by_its_new_words_only(
    api_server: RunningServer, seeded: Seeded
) -> None:
    recording = seeded.recordings[0]
    path = f"/api/v1/recordings/{recording['id']}/transcript"
    async with api_server.client() as client:
        line = await client.post(
            path, json={"at": T0.isoformat(), "speaker_role": "证人", "text": "我看见了红色轿车"}
        )
        assert await hearing_ids(api_server, q="红色轿车") == [recording["hearing_id"]]
        await client.put(
            f"{path}/{line.json()['id']}", json={"speaker_role": "证人", "text": "我看见了蓝色卡车"}
        )
    assert await hearing_ids(api_server, q="红色轿车") == []
    assert await hearing_ids(api_server, q="蓝色卡车") == [recording["hearing_id"]]
    assert await hearing_ids(api_server, q="卡车") == [recording["hearing_id"]]


async def test_free_text_of_one_recording_does_not_find_the_other_recordings_of_its_hearing(
    api_server: RunningServer, seeded: Seeded
) -> None:
    """The index keeps one document per hearing; a recording is found by its own words only.

    Last in the module: it adds a hearing the expectations above do not know.
    """
    async with api_server.client() as client:
        created = await client.post(
            "/api/v1/hearings",
            json={
                "case_id": seeded.case_ids[0],
                "courtroom_id": seeded.courtrooms[0],
                "title": "庭前会议",
                "scheduled_start": (T0 - timedelta(days=30)).isoformat(),
                "visibility": "public",
            },
        )
        assert created.status_code == 201, created.text
        hearing = created.json()["id"]
        recordings = []
        for text in ("被告当庭出示转账凭证", None):
            recording = (await client.post(f"/api/v1/hearings/{hearing}/recordings")).json()["id"]
            if text:
                line = {"at": T0.isoformat(), "speaker_role": "被告", "text": text}
                posted = await client.post(f"/api/v1/recordings/{recording}/transcript", json=line)
                assert posted.status_code == 201, posted.text
            await client.post(f"/api/v1/recordings/{recording}/stop")
            recordings.append(recording)
        found = await client.get("/api/v1/recordings", params={"q": "转账凭证"})
        assert [item["id"] for item in found.json()["items"]] == [recordings[0]]
        both = await client.get("/api/v1/recordings", params={"q": "庭前会议"})  # the title
        assert {item["id"] for item in both.json()["items"]} == set(recordings)
        short = await client.get("/api/v1/recordings", params={"q": "凭证"})
        assert [item["id"] for item in short.json()["items"]] == [recordings[0]]
    assert await hearing_ids(api_server, q="转账凭证") == [hearing]
    assert await hearing_ids(api_server, q="账") == [hearing]
