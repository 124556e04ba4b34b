"""The archive vocabulary: every record and key built, then read back, gives its parts again;
what this layout did not write is refused with a ValueError that says why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.archive import (
    InitRecord,
    OpeningRecord,
    SegmentRecord,
    content_type_of,
    object_record_from_json,
)
from storage.keys import ObjectKey, ObjectName, TrackPrefix, parse_object_key, parse_object_name

STARTED = datetime(2026, 3, 4, 23, 30, tzinfo=timezone(timedelta(hours=8)))
PREFIX = TrackPrefix("hengyang", "room-1", "rec.7", "bench", STARTED)
INIT = InitRecord(
    recording_id="rec.7",
    camera="bench",
    epoch=2,
    key=PREFIX.init_key(2),
    size=812,
    sha256="ab" * 32,
    codecs="avc1.42e01f,opus",
    width=1280,
    height=None,
)
OPENING = OpeningRecord(
    recording_id="rec.7",
    camera="bench",
    epoch=2,
    sequence=41,
    key=PREFIX.segment_key(41),
    extension="m4s",
    video_track=(1, 90_000),
    started_at=STARTED,
    discontinuity=True,
)
SEGMENT = replace(
    OPENING.finished(duration_s=4.004, size=123_456, sha256="cd" * 32, frames=120),
    version_id="v-3",
)


@pytest.mark.parametrize("record", [INIT, SEGMENT, OPENING])
def test_every_record_reads_back_as_written(
    record: InitRecord | SegmentRecord | OpeningRecord,
) -> None:
    assert type(record).from_json(record.to_json()) == record


@pytest.mark.parametrize("record", [INIT, SEGMENT])
def test_a_spool_record_is_read_as_its_own_type(record: InitRecord | SegmentRecord) -> None:
    assert object_record_from_json(record.to_json()) == record


def test_an_opening_of_an_unrecoverable_container_has_no_video_track() -> None:
    webm = replace(OPENING, video_track=None, extension="webm")
    assert OpeningRecord.from_json(webm.to_json()) == webm


def test_the_finished_segment_keeps_what_it_opened_with() -> None:
    finished = OPENING.finished(duration_s=4.004, size=123_456, sha256="cd" * 32, frames=120)
    assert (finished.recording_id, finished.camera, finished.key) == ("rec.7", "bench", OPENING.key)
    assert (finished.epoch, finished.sequence, finished.extension) == (2, 41, "m4s")
    assert (finished.started_at, finished.discontinuity) == (STARTED, True)
    assert (finished.duration_s, finished.size, finished.frames) == (4.004, 123_456, 120)
    assert (finished.sha256, finished.version_id) == ("cd" * 32, None)


def test_the_json_is_what_spools_of_earlier_versions_hold() -> None:
    assert json.loads(SEGMENT.to_json())["type"] == "segment"
    assert json.loads(INIT.to_json())["type"] == "init"
    assert json.loads(OPENING.to_json())["started_at"] == "2026-03-04T23:30:00+08:00"
    assert json.loads(OPENING.to_json())["video_track"] == [1, 90000]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "segment record is not JSON"),
        ("[]", "segment record is not a JSON object but list"),
        (INIT.to_json(), "not a segment record: type 'init'"),
        (json.dumps({"type": "segment"}), "missing field(s) camera, discontinuity"),
        (SEGMENT.to_json()[:-1] + ', "colour": 1}', "unknown field(s) colour"),
        (SEGMENT.to_json().replace('"frames": 120', '"frames": "120"'), "field frames = '120'"),
        (SEGMENT.to_json().replace('"frames": 120', '"frames": true'), "field frames = True"),
        (SEGMENT.to_json().replace('"size": 123456', '"size": 1.5'), "field size = 1.5"),
        (SEGMENT.to_json().replace('"discontinuity": true', '"discontinuity": 1'), "discontinuity"),
        (SEGMENT.to_json().replace("2026-03-04T23:30:00", "yesterday"), "field started_at"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        SegmentRecord.from_json(text)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (json.dumps({"type": "manifest"}), "not a spool record: type 'manifest'"),
        (OPENING.to_json(), "not a spool record: type None"),
        ("3", "spool record is not a JSON object but int"),
    ],
)
def test_a_spool_record_must_be_an_init_or_a_segment(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        object_record_from_json(text)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "track", ["[1]", "[1, 2, 3]", '["1", 90000]', "[1, true]", "{}", '"1x90000"']
)
def test_an_opening_with_a_malformed_video_track_is_refused(track: str) -> None:
    text = OPENING.to_json().replace("[1, 90000]", track)
    with pytest.raises(ValueError, match="field video_track"):
        OpeningRecord.from_json(text)


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        (PREFIX.init_key(1), "video/mp4"),
        (PREFIX.segment_key(1), "video/iso.segment"),
        (PREFIX.segment_key(1, "webm"), "video/webm"),
        (PREFIX.manifest_key(), "application/octet-stream"),
    ],
)
def test_content_types_follow_the_extension(key: str, content_type: str) -> None:
    assert content_type_of(key) == content_type


@pytest.mark.parametrize(
    ("key", "camera", "name"),
    [
        (PREFIX.init_key(2), "bench", ObjectName("init", 2, "mp4")),
        (PREFIX.init_key(12_345, "webm"), "bench", ObjectName("init", 12_345, "webm")),
        (PREFIX.segment_key(41), "bench", ObjectName("segment", 41, "m4s")),
        (PREFIX.manifest_key(), None, ObjectName("manifest", None, "json")),
    ],
)
def test_a_built_key_parses_back_into_its_parts(
    key: str, camera: str | None, name: ObjectName
) -> None:
    parsed = parse_object_key(key)
    # The day is the UTC day: 23:30 in Hengyang on the 4th is the 4th in UTC too.
    assert parsed == ObjectKey("hengyang", "room-1", date(2026, 3, 4), "rec.7", camera, name)
    assert str(parsed) == key


def test_epoch_and_sequence_are_named_by_kind() -> None:
    init, segment = parse_object_name("init-0002.mp4"), parse_object_name("seg-00000041.m4s")
    assert (init.epoch, init.sequence) == (2, None)
    assert (segment.epoch, segment.sequence) == (None, 41)
    assert str(segment) == "seg-00000041.m4s"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("audit/checkpoints/000000000042-20270115T090000.000000Z.json", "3 parts"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/extra/seg-00000001.m4s", "9 parts"),
        ("hengyang/room-1/2026/02/30/rec.7/bench/seg-00000001.m4s", "is not a day"),
        ("hengyang/room-1/2026/3/04/rec.7/bench/seg-00000001.m4s", "canonical form"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/seg-0000001.m4s", "canonical form"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/init-1.mp4", "canonical form"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/seg-00000001.m4s\n", "not an init, segment"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/seg-00000001.", "not an init, segment"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/clip.mp4", "not an init, segment"),
        ("hengyang/room-1/2026/03/04/rec.7/bench/manifest.json", "a manifest sits beside"),
        ("hengyang/room-1/2026/03/04/rec.7/seg-00000001.m4s", "a manifest sits beside"),
        ("hengyang/../2026/03/04/rec.7/bench/seg-00000001.m4s", "courtroom '..'"),
        ("hengyang/room-1/2026/03/04/rec.7/.bench/seg-00000001.m4s", "camera '.bench'"),
    ],
)
def test_a_foreign_key_is_refused_with_its_reason(key: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_object_key(key)
    assert reason in str(refused.value)


PARTS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
DAYS = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@settings(derandomize=True, max_examples=300)
@given(
    parts=st.tuples(PARTS, PARTS, PARTS, PARTS),
    day=DAYS,
    kind=st.sampled_from(["init", "segment", "manifest"]),
    number=st.integers(min_value=0, max_value=10**10),
    extension=st.sampled_from(["mp4", "m4s", "webm"]),
)
def test_every_key_the_layout_builds_parses_back(
    parts: tuple[str, str, str, str], day: date, kind: str, number: int, extension: str
) -> None:
    court, courtroom, recording, camera = parts
    prefix = TrackPrefix(court, courtroom, recording, camera, datetime.combine(day, time(), UTC))
    built = {
        "init": lambda: prefix.init_key(number, extension),
        "segment": lambda: prefix.segment_key(number, extension),
        "manifest": prefix.manifest_key,
    }[kind]()
    parsed = parse_object_key(built)
    assert (parsed.court_id, parsed.courtroom_id, parsed.day) == (court, courtroom, day)
    assert parsed.recording_id == recording
    assert parsed.camera == (None if kind == "manifest" else camera)
    assert parsed.name.kind == kind
    if kind != "manifest":
        assert (parsed.name.number, parsed.name.extension) == (number, extension)
    assert str(parsed) == built
