"""How far back a new recording may reach into its cameras' kept GOP: never past the moment
another hearing left the courtroom, so a hearing (sealed or not) keeps its own frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from court.hearings import begin_recording
from court.principals import Principal
from court.recordings import preroll_since
from recorder.retention import DEFAULT_RETENTION_CLASSES, parse_retention_classes
from storage.db import Database
from storage.models import Camera, Case, Court, Courtroom, Hearing, Recording
from streaming.hub import PREROLL_MAX_AGE_S

ADMIN = Principal("admin", "admin")
CLASSES = parse_retention_classes(DEFAULT_RETENTION_CLASSES)


async def courtroom_with_hearings(db: Database, count: int) -> list[str]:
    """A courtroom with one camera and `count` sealed hearings, none yet opened."""
    parents: list[list[object]] = [
        [Court(id="court", name="衡阳")],
        [
            Courtroom(id="room", court_id="court", name="第三法庭", kind="courtroom"),
            Case(id="case", court_id="court", number="(2026)湘04民初1号", title="t"),
        ],
        [Camera(courtroom_id="room", name="bench", position=0)],
    ]
    hearings = [
        Hearing(
            case_id="case",
            courtroom_id="room",
            title=f"h{n}",
            scheduled_start=datetime(2026, 12, 2, tzinfo=UTC),
            visibility="sealed",
        )
        for n in range(count)
    ]
    async with db.session() as session:
        for level in [*parents, hearings]:  # rows before those pointing at them
            session.add_all(level)
            await session.flush()
        await session.commit()
        return [h.id for h in hearings]


async def start(db: Database, hearing_id: str) -> tuple[Recording, datetime]:
    async with db.session() as session:
        hearing = await session.get(Hearing, hearing_id)
        assert hearing is not None
        recording, _ = await begin_recording(session, ADMIN, hearing, retention_classes=CLASSES)
        return recording, await preroll_since(session, recording)


async def test_an_idle_room_lends_what_the_hub_keeps(db: Database) -> None:
    (only,) = await courtroom_with_hearings(db, 1)
    recording, since = await start(db, only)
    assert since == recording.started_at - timedelta(seconds=PREROLL_MAX_AGE_S)


async def test_a_hearing_closed_moments_ago_keeps_its_frames(db: Database) -> None:
    earlier, later = await courtroom_with_hearings(db, 2)
    closed_at = datetime.now(UTC) - timedelta(seconds=3)
    async with db.session() as session:
        hearing = await session.get(Hearing, earlier)
        assert hearing is not None
        hearing.status, hearing.actual_end = "closed", closed_at
        await session.commit()
    _, since = await start(db, later)
    assert since == closed_at


async def test_a_start_that_closes_the_hearing_in_session_lends_nothing_from_before(
    db: Database,
) -> None:
    sitting, next_one = await courtroom_with_hearings(db, 2)
    first, _ = await start(db, sitting)
    async with db.session() as session:
        stopped = await session.get(Recording, first.id)
        assert stopped is not None
        stopped.status = "stopped"  # its hearing stays in session
        await session.commit()
    commanded = datetime.now(UTC)
    second, since = await start(db, next_one)  # the sealed hearing in session is closed now
    assert commanded <= since <= second.started_at
