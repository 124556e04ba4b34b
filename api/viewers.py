"""Live WHEP viewers of this process, by id: what DELETE finds and what operators count.

Kept apart from the control room, which owns publications and recordings:
viewers come and go by the hundred and never touch the archive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from streaming.hub import Hub
from streaming.whep import WhepViewer


@dataclass(frozen=True, slots=True)
class Watching:
    hearing_id: str
    camera: str
    viewer: WhepViewer
    real_time: bool  # staff: never cut or delayed by the broadcast controls
    code_id: str | None = None


class ViewerRegistry:
    def __init__(self) -> None:
        self._viewers: dict[str, Watching] = {}

    async def watch(
        self,
        *,
        hearing_id: str,
        camera: str,
        hub: Hub,
        offer_sdp: str,
        real_time: bool,
        code_id: str | None = None,
    ) -> WhepViewer:
        """Answer a WHEP offer; raises ValueError (bad offer)."""
        viewer = await WhepViewer.create(offer_sdp, hub, on_ended=self._ended)
        self._viewers[viewer.id] = Watching(hearing_id, camera, viewer, real_time, code_id)
        return viewer

    def watching_with_code(self, code_id: str) -> int:
        """Devices watching right now with one access code (its viewer limit)."""
        return sum(1 for w in self._viewers.values() if w.code_id == code_id)

    async def close_public(self, hearing_id: str) -> None:
        """Hang up everyone but staff watching the hearing (the kill switch)."""
        await self._close_where(lambda w: w.hearing_id == hearing_id and not w.real_time)

    async def close_code(self, code_id: str) -> None:
        """Hang up the devices watching with a revoked access code."""
        await self._close_where(lambda w: w.code_id == code_id)

    async def _close_where(self, chosen: Callable[[Watching], bool]) -> None:
        for watching in [w for w in self._viewers.values() if chosen(w)]:
            await watching.viewer.close()

    def _ended(self, viewer: WhepViewer) -> None:
        self._viewers.pop(viewer.id, None)

    async def leave(self, *, hearing_id: str, camera: str, viewer_id: str) -> bool:
        """End a viewer if it watches that hearing's camera; False when there is none."""
        watching = self._viewers.get(viewer_id)
        if watching is None or (watching.hearing_id, watching.camera) != (hearing_id, camera):
            return False
        await watching.viewer.close()
        return True

    def total(self) -> int:
        return len(self._viewers)

    def counts(self, hearing_id: str) -> dict[str, int]:
        """Viewers per camera of one hearing (for the broadcast console)."""
        return dict(Counter(w.camera for w in self._viewers.values() if w.hearing_id == hearing_id))

    async def close(self) -> None:
        for watching in list(self._viewers.values()):
            await watching.viewer.close()
