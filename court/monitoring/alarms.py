"""Alarms an operator must see at once: a feed that went silent, a spool filling up.

The board keeps the alarms that are active now and tells every listener (the
operator console's websocket) when one is raised or cleared, with the time. An alarm
about a courtroom's feeds names the courtroom and the hearing being recorded, so the
routes can show it only to those who may see that hearing (api/routes/events.py); its
subject and message name the courtroom and camera, never a recording.

A page shows an alarm in its reader's language from `code` (the kind, a stable name the
locale tables key as `alarm.<code>`) and `params` (its details: the values its text needs,
e.g. the camera's name); `message` stays in English for logs and API clients.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

LISTENER_QUEUE = 256


@dataclass(frozen=True, slots=True)
class Alarm:
    kind: str  # no_frames, spool_filling, spool_full
    subject: str  # what it is about: "courtroom/camera", or "spool"
    message: str
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    details: dict[str, Any] = field(default_factory=dict)
    courtroom_id: str | None = None  # None: about the whole installation (the spool)
    hearing_id: str | None = None  # the hearing whose feed it is; its visibility decides

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["since"] = self.since.isoformat()
        # what a page translates: alarm.<code> in its locale table, filled with params
        body["code"] = self.kind
        body["params"] = self.details
        return body


class AlarmBoard:
    def __init__(self) -> None:
        self._active: dict[tuple[str, str], Alarm] = {}
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self.raised_total: dict[str, int] = {}

    def raise_alarm(self, alarm: Alarm) -> None:
        """Idempotent: an alarm already active keeps its original time."""
        key = (alarm.kind, alarm.subject)
        if key in self._active:
            return
        self._active[key] = alarm
        self.raised_total[alarm.kind] = self.raised_total.get(alarm.kind, 0) + 1
        self._tell({"type": "alarm.raised", "alarm": alarm.as_json()})

    def clear(self, kind: str, subject: str) -> None:
        alarm = self._active.pop((kind, subject), None)
        if alarm is not None:
            cleared = {**alarm.as_json(), "cleared_at": datetime.now(UTC).isoformat()}
            self._tell({"type": "alarm.cleared", "alarm": cleared})

    def active(self) -> list[Alarm]:
        return sorted(self._active.values(), key=lambda alarm: alarm.since)

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        """Active alarms, then every event; a lagging listener misses events, holds none up."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(LISTENER_QUEUE)
        self._listeners.add(queue)
        try:
            for alarm in self.active():
                queue.put_nowait({"type": "alarm.active", "alarm": alarm.as_json()})
            while True:
                yield await queue.get()
        finally:
            self._listeners.discard(queue)

    def _tell(self, event: dict[str, Any]) -> None:
        for queue in list(self._listeners):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)
