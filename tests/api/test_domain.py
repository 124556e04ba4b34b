"""The court's domain through the API: parties, hearing status, markers, the court record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.fixtures_api import create_courtroom, create_hearing, start_recording
from tests.support.server import RunningServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def token_for(client: httpx.AsyncClient, role: str) -> str:
    created = await client.post("/api/v1/tokens", json={"role": role, "name": f"{role} 测试"})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


async def test_case_parties_round_trip_in_order(api_server: RunningServer) -> None:
    parties = [
        {"name": "张三", "role": "原告"},
        {"name": "李四", "role": "被告"},
        {"name": "Acme Ltd", "role": "third party"},
    ]
    async with api_server.client() as client:
        created = await client.post(
            "/api/v1/cases",
            json={"number": "(2026)湘04民初900号", "title": "合同纠纷", "parties": parties},
        )
        assert created.status_code == 201, created.text
        assert created.json()["parties"] == parties
        fetched = await client.get(f"/api/v1/cases/{created.json()['id']}")
        assert fetched.json()["parties"] == parties
        listed = await client.get("/api/v1/cases", params={"number": "(2026)湘04民初900号"})
        assert listed.json()[0]["parties"] == parties
        bare = await client.post(
            "/api/v1/cases", json={"number": "(2026)湘04民初901号", "title": "t"}
        )
        assert bare.json()["parties"] == []
        nameless = await client.post(
            "/api/v1/cases",
            json={"number": "(2026)湘04民初902号", "title": "t", "parties": [{"role": "原告"}]},
        )
        assert nameless.status_code == 422


async def test_hearing_status_moves_only_forward_and_stamps_times(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        path = f"/api/v1/hearings/{hearing_id}"
        hearing = (await client.get(path)).json()
        assert (hearing["status"], hearing["actual_start"], hearing["presiding_judge"]) == (
            "scheduled",
            None,
            None,
        )
        judged = await client.patch(path, json={"presiding_judge": "王法官"})
        assert judged.json()["presiding_judge"] == "王法官"
        assert judged.json()["status"] == "scheduled"
        opened = (await client.patch(path, json={"status": "in_session"})).json()
        assert opened["actual_start"] is not None
        assert (await client.patch(path, json={"status": "recess"})).json()["status"] == "recess"
        resumed = (await client.patch(path, json={"status": "in_session"})).json()
        assert resumed["actual_start"] == opened["actual_start"]  # the first opening counts
        closed = (await client.patch(path, json={"status": "closed"})).json()
        assert closed["actual_end"] is not None
        reopened = await client.patch(path, json={"status": "in_session"})
        assert reopened.status_code == 409
        assert "closed" in reopened.json()["detail"]
        unknown = await client.patch(path, json={"status": "adjourned"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"]
        assert (await client.patch("/api/v1/hearings/nope", json={})).status_code == 404
        async with api_server.client(await token_for(client, "judge")) as judge:
            assert (await judge.patch(path, json={"presiding_judge": "x"})).status_code == 403


async def test_hearing_created_with_judge_and_recess_needs_a_session(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        case_id = (await client.get(f"/api/v1/hearings/{hearing_id}")).json()["case_id"]
        created = await client.post(
            "/api/v1/hearings",
            json={
                "case_id": case_id,
                "courtroom_id": courtroom.id,
                "title": "第二次开庭",
                "scheduled_start": T0.isoformat(),
                "presiding_judge": "李法官",
            },
        )
        assert created.json()["presiding_judge"] == "李法官"
        early = await client.patch(
            f"/api/v1/hearings/{created.json()['id']}", json={"status": "recess"}
        )
        assert early.status_code == 409


async def test_marker_kinds_are_validated_and_listed_in_time_order(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as client:
        recording = await start_recording(client)
        path = f"/api/v1/recordings/{recording.id}/markers"
        kinds = ["note", "recess", "resume", "off_record_end", "witness_sworn", "exhibit_shown"]
        for minute, kind in enumerate(reversed(kinds)):
            at = (T0 + timedelta(minutes=10 - minute)).isoformat()
            created = await client.post(path, json={"at": at, "kind": kind, "text": "证据一"})
            assert created.status_code == 201, created.text
        no_reason = await client.post(path, json={"at": T0.isoformat(), "kind": "off_record_start"})
        assert no_reason.status_code == 422
        assert "reason" in str(no_reason.json()["detail"])
        reason = {"at": T0.isoformat(), "kind": "off_record_start", "text": "调解，不公开"}
        assert (await client.post(path, json=reason)).status_code == 201
        bad = await client.post(path, json={"at": T0.isoformat(), "kind": "lunch"})
        assert bad.status_code == 422
        listed = (await client.get(path)).json()
        assert [m["kind"] for m in listed] == ["off_record_start", *kinds]
        assert listed[0]["text"] == "调解，不公开"
        assert (await client.get("/api/v1/recordings/nope/markers")).status_code == 404
        await client.post(f"/api/v1/recordings/{recording.id}/stop")


async def test_transcript_lines_in_time_order_and_edits_keep_history(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as client:
        recording = await start_recording(client)
        other = await start_recording(client)
        path = f"/api/v1/recordings/{recording.id}/transcript"
        clerk_token = await token_for(client, "clerk")
        async with api_server.client(clerk_token) as clerk:
            second = await clerk.post(
                path,
                json={
                    "at": (T0 + timedelta(seconds=30)).isoformat(),
                    "speaker_role": "原告",
                    "text": "被告至今未还款。",
                },
            )
            first = await clerk.post(
                path, json={"at": T0.isoformat(), "speaker_role": "审判长", "text": "现在开庭。"}
            )
            assert first.status_code == second.status_code == 201
            assert first.json()["author"] == "clerk 测试"
            edited = await clerk.put(
                f"{path}/{second.json()['id']}",
                json={"speaker_role": "原告代理人", "text": "被告至今未归还借款。"},
            )
            assert edited.status_code == 200
            assert edited.json()["edited_at"] is not None
        lines = (await client.get(path)).json()
        assert [(line["speaker_role"], line["text"]) for line in lines] == [
            ("审判长", "现在开庭。"),
            ("原告代理人", "被告至今未归还借款。"),
        ]
        history = (await client.get(f"{path}/{second.json()['id']}/history")).json()
        assert [(h["speaker_role"], h["text"], h["edited_by"]) for h in history] == [
            ("原告", "被告至今未还款。", "clerk 测试"),
            ("原告代理人", "被告至今未归还借款。", "clerk 测试"),
        ]
        elsewhere = f"/api/v1/recordings/{other.id}/transcript/{second.json()['id']}"
        assert (
            await client.put(elsewhere, json={"speaker_role": "x", "text": "y"})
        ).status_code == 404
        assert (await client.get(elsewhere + "/history")).status_code == 404
        empty = await client.post(path, json={"at": T0.isoformat(), "speaker_role": "书记员"})
        assert empty.status_code == 422
        async with api_server.client(await token_for(client, "judge")) as judge:
            assert (await judge.get(path)).status_code == 200
            line = {"at": T0.isoformat(), "speaker_role": "审判长", "text": "休庭。"}
            assert (await judge.post(path, json=line)).status_code == 403
        for started in (recording, other):
            await client.post(f"/api/v1/recordings/{started.id}/stop")
