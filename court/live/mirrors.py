"""Public viewers watch from whichever worker process or node they reach.

A courtroom's cameras publish into the process holding it, and so far every viewer of a
camera was sent there: one event loop encrypted and sent to the whole audience. Now a
process that does not hold the courtroom serves a public viewer itself, from a mirror of the
camera's hub (streaming/mirror.py) fed over one websocket from the holder, however many
viewers it has. The live rule is judged here exactly as at the holder (court/live/guard.py
judges this process's viewers every half second: a sealed hearing, one no longer in session,
a cut feed hang them up), the broadcast delay runs here on the mirror, and the kill switch
reaches here on the cluster bus. Viewers with an access code, staff and screens still go to
the holder, where a code's device limit and a token's checks are counted in one place.

The holder serves a feed only to a process that proves it is one of the installation's own
(a claim signed with the key every node shares, for that hearing and camera, a few seconds
long: an anonymous client gets nothing), and only while the hearing's public may watch that
camera, judged there: the feed is one public viewer of the hearing in the holder's registry,
so the kill switch and the live guard hang it up at the holder at once, and the mirror, told
so, hangs up its own viewers and drops its delay lines without waiting for the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import quote

from court.errors import Unavailable
from court.leases import CourtroomLeases
from court.live.signed_urls import UrlSigner
from court.live.viewers import PublicRestarted, ViewerRegistry, Watching
from streaming.hub import Hub, HubRegistry
from streaming.mirror import Mirror, send_feed

FEED_PATH = "/internal/feed/{hearing_id}/{camera}"
FEED_HEADER = "X-Courtcast-Feed"
CLAIM_S = 30  # the claim is checked once, when the feed's websocket opens
IDLE_S = 10.0  # a mirror without viewers this long hangs up on the holder
REAP_EVERY_S = 2.0
HELD_CHECK_S = 0.5
_CLAIM_PATH = "feed:"


def feed_claim(signer: UrlSigner, node_id: str, hearing_id: str, camera: str) -> str:
    """The header a mirror presents: node `node_id` asks for this camera's feed."""
    return signer.query(f"{_CLAIM_PATH}{hearing_id}/{camera}", subject=node_id, lifetime_s=CLAIM_S)


def feed_claimant(signer: UrlSigner, claim: str | None, hearing_id: str, camera: str) -> str | None:
    """The node a valid, unexpired claim for this camera names; None for anything else."""
    return None if claim is None else signer.claimant(f"{_CLAIM_PATH}{hearing_id}/{camera}", claim)


class FeedViewer:
    """A feed served to another process, as the holder's viewer registry sees it: one public
    viewer of the hearing, hung up (`close`) by whatever hangs up the public here."""

    def __init__(self) -> None:
        self.id = secrets.token_urlsafe(16)
        self.stopped = asyncio.Event()
        self.refused = False  # hung up as the public is: the mirror must hang up its viewers
        self.audience = 0  # the viewers the mirror says it serves from this feed

    def told(self, audience: int) -> None:
        self.audience = audience

    async def close(self) -> None:
        if not self.stopped.is_set():  # already ending (this process shutting down): not said
            self.refused = True
        self.stopped.set()


class MirrorDesk:
    """This process's mirrors of cameras held elsewhere, and the feeds it serves to others."""

    def __init__(
        self,
        hubs: HubRegistry,
        leases: CourtroomLeases,
        signer: UrlSigner,
        viewers: ViewerRegistry,
        restart_public: Callable[[str], Awaitable[None]],
    ) -> None:
        self._hubs = hubs
        self._restart_public = restart_public
        self._leases = leases
        self._signer = signer
        self._viewers = viewers
        self._mirrors: dict[tuple[str, str], Mirror] = {}  # by (hearing, camera)
        self._idle_since: dict[tuple[str, str], float] = {}
        self._hang_ups: set[asyncio.Future[object]] = set()
        self._reaper: asyncio.Task[None] | None = None

    def hub(self, hearing_id: str, courtroom_id: str, camera: str) -> Hub:
        """The mirror of the camera (or program) a public viewer of the hearing watches here,
        the courtroom being held by another process; started on first use."""
        key = (hearing_id, camera)
        mirror = self._mirrors.get(key)
        if mirror is None:
            mirror = self._mirrors[key] = Mirror(
                lambda: self._locate(hearing_id, courtroom_id, camera),
                audience=lambda: self._served_here(key),
                on_gone=lambda: self._gone(key, mirror),
                on_refused=lambda: self._spawn(self._restart_public(hearing_id)),
            )
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap_forever(), name="mirror reaper")
        return mirror.hub

    async def _locate(
        self, hearing_id: str, courtroom_id: str, camera: str
    ) -> tuple[str, dict[str, str]] | None:
        try:
            holder = await self._leases.holder_url(courtroom_id)
        except Unavailable:
            return None  # its holder is gone: the viewers here come back to whoever takes it
        if holder is None:
            return None
        path = FEED_PATH.format(
            hearing_id=quote(hearing_id, safe=""), camera=quote(camera, safe="")
        )
        url = "ws" + holder.removeprefix("http") + path
        claim = feed_claim(self._signer, self._leases.node.id, hearing_id, camera)
        return url, {FEED_HEADER: claim}

    def _served_here(self, key: tuple[str, str]) -> int:
        return sum(1 for w in self._viewers.all() if w.mirrored and (w.hearing_id, w.camera) == key)

    def _gone(self, key: tuple[str, str], mirror: Mirror | None) -> None:
        """The camera is no longer held elsewhere: its viewers here come back to where it is."""
        if self._mirrors.get(key) is not mirror:
            return  # closed for want of viewers, or replaced by a newer mirror
        del self._mirrors[key]
        self._idle_since.pop(key, None)

        def mirrored_by(w: Watching) -> bool:
            return w.mirrored and (w.hearing_id, w.camera) == key

        self._spawn(self._viewers.close_where(mirrored_by))

    def _spawn(self, hang_up: Awaitable[object]) -> None:
        task = asyncio.ensure_future(hang_up)
        self._hang_ups.add(task)
        task.add_done_callback(self._hang_ups.discard)

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            now = time.monotonic()
            for key, mirror in list(self._mirrors.items()):
                if mirror.hub.subscribers:
                    self._idle_since.pop(key, None)
                    continue
                if now - self._idle_since.setdefault(key, now) >= IDLE_S:
                    del self._mirrors[key]
                    del self._idle_since[key]
                    await mirror.close()

    async def serve(
        self,
        hearing_id: str,
        courtroom_id: str,
        camera: str,
        send: Callable[[bytes], Awaitable[None]],
        messages: AsyncIterator[bytes],
        admitted_at: int,
    ) -> bool:
        """Feed another process's mirror of a camera this process holds, for the public of a
        hearing judged watchable by the caller (from `public_mark` `admitted_at` on): until
        the mirror hangs up, this process lets the courtroom go, or the feed is hung up here
        as the hearing's public viewers are (then True: the mirror is told to hang up its
        viewers too, and so if the public was restarted while the caller judged it)."""
        viewer = FeedViewer()

        async def while_held() -> None:
            while self._leases.holds(courtroom_id):
                await asyncio.sleep(HELD_CHECK_S)
            viewer.stopped.set()

        watch = Watching(hearing_id, courtroom_id, camera, viewer, kind="public", feed=True)
        try:
            self._viewers.add_feed(watch, admitted_at)
        except PublicRestarted:
            return True
        held = asyncio.create_task(while_held())
        try:
            await send_feed(
                self._hubs.hub(courtroom_id, camera),
                send,
                messages,
                stop=viewer.stopped,
                on_audience=viewer.told,
            )
        finally:
            held.cancel()
            self._viewers.remove_feed(viewer.id)
        return viewer.refused

    def audience_elsewhere(self, hearing_id: str) -> Counter[str]:
        """Viewers of each camera of the hearing that other processes serve from here."""
        audience: Counter[str] = Counter()
        for watching, feed in self._feeds():
            if watching.hearing_id == hearing_id:
                audience[watching.camera] += feed.audience
        return audience

    def _feeds(self) -> list[tuple[Watching, FeedViewer]]:
        """The feeds this process serves, each one public viewer in its registry."""
        return [(w, w.viewer) for w in self._viewers.all() if isinstance(w.viewer, FeedViewer)]

    async def close(self) -> None:
        """Stop mirroring and serving; a feed ended by a shutdown is not a refusal, so its
        mirror looks for the courtroom's next holder with its viewers still on."""
        for _, feed in self._feeds():
            feed.stopped.set()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for mirror in list(self._mirrors.values()):
            await mirror.close()
        self._mirrors.clear()
