"""The court's control of a hearing's public relay: on or cut, and its delay.

Public and code-holding viewers watch through the broadcast: the live hub
when there is no delay, else one shared delay line per camera. Cutting the
feed or changing the delay hangs up those viewers at once and discards what
the delay line held, so nothing from before the change reaches the public.
The recording never passes through here.

A new delay's lines start filling the moment the court sets it, for every camera
the public watched: the watch page, which keeps its last picture while it
rejoins, then gets pictures `delay_s` after the change, not after it rejoined.

Each process keeps the states it read, since every viewer's request and the live guard's
every second ask for them. A change is made where the courtroom is held and told to every
other node and worker process on the cluster bus, which drop their copy: a worker that
refused a public viewer while the feed was cut must not go on refusing once it is back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from court.cluster_bus import ClusterBus
from court.live.viewers import ViewerRegistry
from storage.models import Broadcast
from streaming.delay_line import DelayLine
from streaming.hub import Hub

MAX_DELAY_S = 60.0
BUS_KIND = "broadcast.changed"  # body: {"hearing_id"}


@dataclass(frozen=True, slots=True)
class BroadcastState:
    on: bool
    delay_s: float


DEFAULT = BroadcastState(on=True, delay_s=0.0)


class BroadcastDesk:
    def __init__(self, viewers: ViewerRegistry, bus: ClusterBus) -> None:
        self._viewers = viewers
        self._bus = bus
        self._states: dict[str, BroadcastState] = {}
        self._forgotten = 0  # copies dropped so far: a read begun before a drop is not kept
        self._restarts: set[asyncio.Task[None]] = set()
        bus.subscribe(BUS_KIND, lambda _node, body: self._forget(body.get("hearing_id")))
        bus.on_connect(lambda: self._forget(None))  # changes told meanwhile were lost
        self._lines: dict[tuple[str, str], DelayLine] = {}
        # (hearing, camera) -> the live hub its public viewers were given, to refill a new delay
        self._watched: dict[tuple[str, str], Hub] = {}

    async def state(self, session: AsyncSession, hearing_id: str) -> BroadcastState:
        cached = self._states.get(hearing_id)
        if cached is None:
            forgotten = self._forgotten
            row = await session.get(Broadcast, hearing_id)
            cached = BroadcastState(row.on, row.delay_s) if row else DEFAULT
            if forgotten == self._forgotten:  # else a change was told while this read ran
                self._states[hearing_id] = cached
        return cached

    def _forget(self, hearing_id: object) -> None:
        """Another process changed `hearing_id`'s broadcast (None: perhaps any hearing's).
        Public viewers served here (court/live/mirrors.py) and delay lines run here are
        restarted as the holder restarts its own: they come back under the new state, so a
        longer delay is never skipped by those watching through this process."""
        self._forgotten += 1
        if hearing_id is None:
            self._states.clear()
            hearings = {w.hearing_id for w in self._viewers.all()} | self.delayed_hearings()
        elif isinstance(hearing_id, str):
            self._states.pop(hearing_id, None)
            hearings = {hearing_id}
        else:
            return
        for hearing in hearings:
            task = asyncio.ensure_future(self.restart_public(hearing))
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

    async def change(
        self, session: AsyncSession, hearing_id: str, *, on: bool, delay_s: float, by: str
    ) -> BroadcastState:
        """Persist the court's decision first, then apply it to everyone watching."""
        if not 0 <= delay_s <= MAX_DELAY_S:
            raise ValueError(f"delay_s must be between 0 and {MAX_DELAY_S:g} seconds")
        row = await session.get(Broadcast, hearing_id)
        if row is None:
            row = Broadcast(hearing_id=hearing_id)
            session.add(row)
        before = await self.state(session, hearing_id)
        row.on, row.delay_s = on, delay_s
        row.changed_at, row.changed_by = datetime.now(UTC), by
        await session.commit()
        state = self._states[hearing_id] = BroadcastState(on, delay_s)
        if state != before:
            watched = {k: hub for k, hub in self._watched.items() if k[0] == hearing_id}
            await self.restart_public(hearing_id)
            if state.on and state.delay_s > 0:
                self._fill_lines(watched, state.delay_s)
        # only then: a bus slow to answer must not hold back the cut of this process's viewers
        await self._bus.publish(BUS_KIND, {"hearing_id": hearing_id})
        return state

    def public_hub(self, hearing_id: str, live: Hub, camera: str, state: BroadcastState) -> Hub:
        """Where a public viewer of this camera (its `live` hub: the camera's, or a mirror of
        it) reads from under the current state."""
        key = (hearing_id, camera)
        self._watched[key] = live
        if state.delay_s <= 0:
            return live
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = DelayLine(live, state.delay_s)
        return line.output

    def _fill_lines(self, watched: dict[tuple[str, str], Hub], delay_s: float) -> None:
        """Start delay lines now for the cameras the public watched, each from a fresh
        keyframe, so their first picture comes out `delay_s` after the change."""
        for key, live in watched.items():
            self._watched[key] = live
            self._lines[key] = DelayLine(live, delay_s)
            live.request_keyframe()

    async def restart_public(self, hearing_id: str) -> None:
        """Hang up the hearing's public here and drop its delay lines: they come back under
        the state as it stands (a change, or a holder refusing this process a camera's feed)."""
        await self._viewers.close_public(hearing_id)
        await self.discard_lines(hearing_id)

    def delayed_hearings(self) -> set[str]:
        """Hearings with a delay line running: each holds up to a minute of the room."""
        return {hearing_id for hearing_id, _ in self._lines}

    async def discard_lines(self, hearing_id: str) -> None:
        """Drop what the hearing's delay lines hold, so it never replays once the hearing is
        no longer the courtroom's hearing in session."""
        for key in [key for key in self._lines if key[0] == hearing_id]:
            await self._lines.pop(key).close()
        for key in [key for key in self._watched if key[0] == hearing_id]:
            del self._watched[key]

    async def close(self) -> None:
        for line in self._lines.values():
            await line.close()
        self._lines.clear()
