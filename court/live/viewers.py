"""Live WHEP viewers of this process, by id: what DELETE finds, what operators count, and
what the live guard re-checks.

Kept apart from the control room, which owns publications and recordings:
viewers come and go by the hundred and never touch the archive. Each viewer
keeps who it was admitted as (its token, its access code) so the guard can
judge it again when a token is revoked or the courtroom's hearing changes.

A viewer is judged, then negotiated, then registered; the kill switch or a new delay that
restarts the hearing's public in between would miss it, and it would watch on under the state
it was judged by (live, while the court had just set a delay; until the guard's next pass, a
broadcast just cut). So each restart of a hearing's public is counted, admission takes the
count before it judges, and a public viewer registered after a restart is hung up and told
to join again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from court.errors import Conflict
from court.in_session import ViewerKind
from court.principals import Principal
from streaming.relay import FrameRelay
from streaming.whep import WhepViewer


class LiveViewer(Protocol):
    """What the registry needs of a viewer: a WHEP peer, or another process's feed."""

    @property
    def id(self) -> str: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Watching:
    hearing_id: str
    courtroom_id: str
    camera: str
    viewer: LiveViewer
    kind: ViewerKind  # staff: never cut or delayed by the broadcast controls
    principal: Principal | None = None  # staff and screens, judged again by their token
    code_id: str | None = None
    address: str = ""  # the client's, for the per-address cap
    device_id: str | None = None  # a code holder's device (court/live/access_codes.py CodePass)
    mirrored: bool = False  # served here from another process's camera (court/live/mirrors.py)
    # The feed of another process's mirror, judged and cut as one public viewer: no audience
    feed: bool = False

    @property
    def real_time(self) -> bool:
        return self.kind == "staff"


class PublicRestarted(Conflict):
    """The hearing's public was restarted (its broadcast cut or its delay changed) while this
    viewer was admitted: it joins again, under the state as it stands."""

    def __init__(self) -> None:
        super().__init__("the hearing's broadcast changed while this viewer joined: join again")


class Audience(Protocol):
    """Hears every viewer come and go (the viewing log)."""

    def joined(self, watching: Watching) -> None: ...

    def left(self, watching: Watching) -> None: ...


class ViewerRegistry:
    def __init__(
        self,
        on_joined: Callable[[float], None] | None = None,
        audience: Audience | None = None,
    ) -> None:
        """`on_joined` hears how long each viewer's answer took (offer to answer, seconds)."""
        self._viewers: dict[str, Watching] = {}
        self._on_joined = on_joined
        self._audience = audience
        self._public_restarts: Counter[str] = Counter()  # by hearing

    def public_mark(self, hearing_id: str) -> int:
        """Taken by admission before it judges a viewer of the hearing (see the module)."""
        return self._public_restarts[hearing_id]

    def _restarted_since(self, watching: Watching, mark: int) -> bool:
        return not watching.real_time and self._public_restarts[watching.hearing_id] != mark

    async def watch(
        self,
        *,
        relay: FrameRelay,
        offer_sdp: str,
        watching: Callable[[WhepViewer], Watching],
        admitted_at: int,
        on_ended: Callable[[], None] | None = None,
    ) -> WhepViewer:
        """Answer a WHEP offer; raises ValueError (bad offer), PublicRestarted (the public was
        restarted since `public_mark` gave `admitted_at`). `on_ended` runs once it is gone."""

        def ended(viewer: WhepViewer) -> None:
            gone = self._viewers.pop(viewer.id, None)
            if gone is not None and self._audience is not None:
                self._audience.left(gone)
            if on_ended is not None:
                on_ended()

        offered = time.monotonic()
        viewer = await WhepViewer.create(offer_sdp, relay, on_ended=ended)
        joined = watching(viewer)
        if self._restarted_since(joined, admitted_at):
            await viewer.close()
            raise PublicRestarted
        self._viewers[viewer.id] = joined
        if self._audience is not None:
            self._audience.joined(joined)
        if self._on_joined is not None:
            self._on_joined(time.monotonic() - offered)
        return viewer

    def all(self) -> list[Watching]:
        return list(self._viewers.values())

    def add_feed(self, watching: Watching, admitted_at: int) -> None:
        """Another process's mirror, judged again and cut like the public viewers here (by
        the live guard, the kill switch), though nobody watches it here; raises
        PublicRestarted as `watch` does."""
        if self._restarted_since(watching, admitted_at):
            raise PublicRestarted
        self._viewers[watching.viewer.id] = watching

    def remove_feed(self, viewer_id: str) -> None:
        self._viewers.pop(viewer_id, None)

    async def close_public(self, hearing_id: str) -> None:
        """Hang up everyone but staff watching the hearing (the kill switch), and those being
        admitted meanwhile."""
        self._public_restarts[hearing_id] += 1
        await self.close_where(lambda w: w.hearing_id == hearing_id and not w.real_time)

    async def close_code(self, code_id: str) -> None:
        """Hang up the devices watching with a revoked access code."""
        await self.close_where(lambda w: w.code_id == code_id)

    async def close_where(self, chosen: Callable[[Watching], bool]) -> int:
        """Hang up the chosen viewers; how many there were."""
        doomed = [w for w in self._viewers.values() if chosen(w)]
        for watching in doomed:
            await watching.viewer.close()
        return len(doomed)

    async def leave(self, *, hearing_id: str, camera: str, viewer_id: str) -> bool:
        """End a viewer if it watches that hearing's camera; False when there is none."""
        watching = self._viewers.get(viewer_id)
        if watching is None or (watching.hearing_id, watching.camera) != (hearing_id, camera):
            return False
        await watching.viewer.close()
        return True

    def total(self) -> int:
        return sum(1 for w in self._viewers.values() if not w.feed)

    def counts(self, hearing_id: str) -> dict[str, int]:
        """The audience per camera of one hearing (for the broadcast console): public and
        access-code viewers. Staff previews (the console's own tiles, a judge) are not an
        audience, and counting them showed an operator viewers where there were none."""
        return dict(
            Counter(
                w.camera
                for w in self._viewers.values()
                if w.hearing_id == hearing_id and w.kind != "staff" and not w.feed
            )
        )

    async def close(self) -> None:
        for watching in list(self._viewers.values()):
            await watching.viewer.close()
