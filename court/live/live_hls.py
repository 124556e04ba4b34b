"""What a live HLS viewer is shown: a sliding window over the segments being recorded.

Public and code holders see the broadcast: only segments that ended at least the broadcast
delay ago. Staff see the live edge. The API renders the window as a playlist.

On the node recording the camera, viewers at the live edge (staff, and everyone while the
broadcast has no delay) get a low-latency window instead: the same segments and the growing
one's fragments as LL-HLS parts, from memory (court/live/live_parts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.broadcasts import BroadcastDesk
from court.live.live_parts import PartTrack, Position
from storage.models import InitSegment, Recording, Segment
from storage.playlists import listed_inits, track_tail
from streaming.hls import LowLatency, PlaylistPart, PlaylistSegment

LIVE_WINDOW = 6  # segments (~12 s): enough for players to buffer, short enough to stay live
NOT_STARTED = "the hearing has not started"
NO_SUCH_SEGMENT = "no such segment"


@dataclass(frozen=True, slots=True)
class LiveWindow:
    recording: Recording
    inits: list[InitSegment]
    window: list[Segment]  # the last LIVE_WINDOW segments a viewer may see
    discontinuity_sequence: int  # discontinuities among the segments that slid out

    @property
    def media_sequence(self) -> int:
        return self.window[0].sequence - 1 if self.window else 0


async def latest_recording(session: AsyncSession, hearing_id: str, missing: str) -> Recording:
    """The hearing's current (or last) recording: what live viewers are shown."""
    recording = await session.scalar(
        select(Recording)
        .where(Recording.hearing_id == hearing_id)
        .order_by(Recording.started_at.desc())
        .limit(1)
    )
    if recording is None:
        raise NotFound(missing)
    return recording


async def live_window(
    session: AsyncSession,
    broadcasts: BroadcastDesk,
    hearing_id: str,
    camera: str,
    *,
    real_time: bool,
    now: datetime | None = None,
) -> LiveWindow:
    """The camera's live window for a viewer at the live edge (`real_time`) or behind it."""
    recording = await latest_recording(session, hearing_id, NOT_STARTED)
    edge = None
    if not real_time:
        delay = (await broadcasts.state(session, hearing_id)).delay_s
        edge = (now or datetime.now(UTC)) - timedelta(seconds=delay)
    tail = await track_tail(
        session, recording_id=recording.id, camera=camera, count=LIVE_WINDOW, ended_by=edge
    )
    inits = await listed_inits(session, recording_id=recording.id, camera=camera)
    return LiveWindow(recording, inits, tail.segments, tail.discontinuities_before)


# Low-latency HLS: the live window from the recorder's fragments (court/live/live_parts.py).
# Names under ll/: "init-<epoch>.mp4", "<msn>.m4s" (a whole segment), "<msn>.<part>.m4s".
PARTS_LISTED_TARGETS = 3  # parts stay listed for the last three target durations (RFC 8216bis)
BLOCK_TARGETS = 3  # a blocking reload waits at most three target durations
TOO_FAR_AHEAD = "_HLS_msn is more than two segments past the playlist's last"
_NAME = re.compile(
    r"(?:init-(?P<epoch>\d{1,9})\.mp4|(?P<msn>\d{1,12})(?:\.(?P<part>\d{1,4}))?\.m4s)"
)


@dataclass(frozen=True, slots=True)
class LowLatencyPlaylist:
    """The playlist items of a part track, and the numbers its header needs."""

    items: list[PlaylistSegment]
    low_latency: LowLatency
    media_sequence: int
    discontinuity_sequence: int
    ended: bool


def parts_shown(real_time: bool, delay_s: float) -> bool:
    """Parts are the live edge: staff see them, the public only while the broadcast has no
    delay (with a delay, public and code viewers get the stored segments that are old enough)."""
    return real_time or delay_s <= 0


def low_latency_playlist(
    track: PartTrack, link: Callable[[str], str], *, fragment_s: float, target_s: float
) -> LowLatencyPlaylist:
    """Closed segments listed whole, the recent ones (and the growing one) by their parts too."""
    segments = list(track.segments)
    listed: set[int] = set()
    behind = 0.0
    for segment in reversed(segments):
        if behind >= PARTS_LISTED_TARGETS * target_s:
            break
        listed.add(segment.msn)
        behind += segment.duration_s or 0.0
    items = [
        PlaylistSegment(
            uri=link(f"{s.msn}.m4s") if s.closed else None,
            duration_s=s.duration_s or 0.0,
            program_date_time=s.started_at,
            init_uri=link(f"init-{s.epoch}.mp4"),
            discontinuity=s.discontinuity,
            parts=tuple(
                PlaylistPart(link(f"{s.msn}.{i}.m4s"), p.duration_s, p.independent)
                for i, p in enumerate(s.parts)
            )
            if s.msn in listed
            else (),
        )
        for s in segments
    ]
    longest = max((p.duration_s for s in segments if s.msn in listed for p in s.parts), default=0)
    hint = None
    if segments and not track.stopped:
        last = segments[-1]
        msn, part = (last.msn + 1, 0) if last.closed else (last.msn, len(last.parts))
        hint = link(f"{msn}.{part}.m4s")
    return LowLatencyPlaylist(
        items=items,
        low_latency=LowLatency(max(fragment_s, round(longest, 3)), hint),
        media_sequence=segments[0].msn if segments else 0,
        discontinuity_sequence=track.dropped_discontinuities,
        ended=track.stopped,
    )


def blocking_position(msn: int | None, part: int | None, track: PartTrack) -> Position | None:
    """What a blocking reload waits for (None: answer at once); ValueError when asked for a
    part without a segment, or for a segment too far ahead to wait for."""
    if msn is None:
        if part is not None:
            raise ValueError("_HLS_part needs _HLS_msn")
        return None
    last = track.last_msn
    if last is None or msn > last + 2 or msn < 0 or (part is not None and part < 0):
        raise ValueError(TOO_FAR_AHEAD)
    return msn, -1 if part is None else part


def part_name(name: str) -> tuple[str, int, int] | None:
    """("init", epoch, 0), ("segment", msn, 0) or ("part", msn, index) for a name under ll/."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    if match["epoch"] is not None:
        return "init", int(match["epoch"]), 0
    if match["part"] is None:
        return "segment", int(match["msn"]), 0
    return "part", int(match["msn"]), int(match["part"])


def live_bytes(track: PartTrack, kind: str, number: int, index: int) -> bytes | None:
    """An init, a whole closed segment or one part, while the track still holds it."""
    if kind == "init":
        return track.inits.get(number)
    segment = track.segment(number)
    if segment is None:
        return None
    if kind == "segment":
        return segment.data if segment.closed else None
    return segment.parts[index].data if index < len(segment.parts) else None
