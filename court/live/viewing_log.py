"""The viewing log: a row per live viewer who is not staff (storage/viewing_models.py), opened
when the viewer joins and closed when it leaves, for the oversight figures and the families'
audit (which code and device watched which hearing, from when to when).

Written off the viewer's own path: the registry calls in synchronously, the rows are written
by tasks, and a failed write is logged, never felt by the picture. A viewer's close waits for
its open, so the two never cross.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from court.live.viewers import Watching
from storage.db import Database
from storage.viewing_models import ViewingSession

log = logging.getLogger(__name__)


class ViewingLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._opening: dict[str, asyncio.Task[None]] = {}
        self._writes: set[asyncio.Task[None]] = set()

    def joined(self, watching: Watching) -> None:
        if watching.real_time:
            return  # staff previews are no audience
        row = ViewingSession(
            id=watching.viewer.id,
            hearing_id=watching.hearing_id,
            courtroom_id=watching.courtroom_id,
            camera=watching.camera,
            kind=watching.kind,
            code_id=watching.code_id,
            device_id=watching.device_id,
            screen_id=watching.principal.token_id
            if watching.kind == "screen" and watching.principal
            else None,
            started_at=datetime.now(UTC),
        )
        self._opening[row.id] = self._spawn(self._open(row))

    def left(self, watching: Watching) -> None:
        opening = self._opening.pop(watching.viewer.id, None)
        if opening is not None:
            self._spawn(self._close(watching.viewer.id, opening, datetime.now(UTC)))

    async def drain(self) -> None:
        """Wait for the writes under way (at shutdown, after the viewers have left)."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    def _spawn(self, write: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(write)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return task

    async def _open(self, row: ViewingSession) -> None:
        try:
            async with self._db.session() as session:
                session.add(row)
                await session.commit()
        except Exception:
            log.exception("could not log viewer %s of hearing %s", row.id, row.hearing_id)

    async def _close(self, viewer_id: str, opening: asyncio.Task[None], at: datetime) -> None:
        await asyncio.gather(opening, return_exceptions=True)
        try:
            async with self._db.session() as session:
                row = await session.get(ViewingSession, viewer_id)
                if row is not None:
                    row.ended_at = at
                    await session.commit()
        except Exception:
            log.exception("could not log the end of viewer %s", viewer_id)
