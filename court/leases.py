"""Which courtrooms' live media this node holds: leases in the index, renewed every second.

A courtroom's publications, hubs, recording and WHEP viewers live on exactly one node, the
holder of its lease (storage/leases.py). The keeper renews the leases this node holds, takes
over the running recordings whose holder went silent, and lets go of a courtroom on its own
once it cannot have renewed in time: it stops writing before any other node may take over,
and every index write carries the lease's fence, so a late write from it is refused anyway.

On a single-node setup (SQLite, local store) the same leases are kept, but nobody else can
take one: a lease that lapsed (a busy disk) is taken again instead of let go, and index
writes are not fenced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from court.errors import Unavailable
from court.placement import least_loaded
from storage import leases, nodes
from storage.db import Database
from storage.leases import Fence, Lease, Reservation
from storage.nodes import NodeRow

log = logging.getLogger(__name__)

RENEW_EVERY_S = 1.0
RETRY_AFTER_S = 0.2  # a failed renewal is tried again at once: a hiccup must not cost a room
CUT_OFF_AFTER_S = 2.5  # since the last renew that succeeded was SENT: 0.5 s before its lapse
CUT_OFF_CHECK_S = 0.2
JOIN_WAIT_S = nodes.NODE_TTL_S + 1.0  # a node that just died stays "live" this long


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    id: str
    url: str  # where other nodes send a courtroom's WHIP, WHEP and commands
    exclusive: str | None  # why this setup allows one node only (e.g. "the index is SQLite")
    # One of a machine's worker processes (api/workers.py): the supervisor's node id. Its
    # siblings share the machine, so `exclusive` refuses only nodes outside the family.
    family: str | None = None

    def sibling(self, node_id: str) -> bool:
        return self.family is not None and node_id.startswith(self.family + ".w")


class NodeRefused(Exception):
    """This process must not start as a node of this installation; the message says why."""


class Custody(Protocol):
    """What holding a courtroom means on this node (court/custody.py)."""

    async def gained(self, courtroom_id: str, reason: str, previous: Lease | None) -> None: ...

    async def lost(self, courtroom_id: str, reason: str) -> None: ...

    async def hand_over(self, courtroom_id: str) -> Reservation: ...

    def reservations(self) -> dict[str, Reservation]: ...

    def cameras(self) -> int: ...

    def shown(self, courtroom_ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...


class CourtroomLeases:
    def __init__(self, db: Database, node: NodeIdentity) -> None:
        self._db = db
        self.node = node
        self._custody: Custody | None = None
        self._held: dict[str, int] = {}  # courtroom -> fence
        self._fences: dict[str, Fence] = {}  # the last fence held per courtroom, kept after loss
        self._good_until: dict[str, float] = {}  # monotonic: let go after this
        self._leaving: set[str] = set()  # being handed over: redirect, keep renewing
        self._draining = False
        self._lock = asyncio.Lock()  # one taking or letting go at a time
        self._tasks: list[asyncio.Task[None]] = []
        self._taking: asyncio.Task[None] | None = None  # orphans being taken over
        self._live: set[str] = set()
        self.on_node_gone: Callable[[str], None] = lambda node_id: None  # its alarms go

    @property
    def shared(self) -> bool:
        return self.node.exclusive is None or self.node.family is not None

    def holds(self, courtroom_id: str) -> bool:
        return courtroom_id in self._held

    def fence(self, courtroom_id: str) -> Fence | None:
        """What this node's index writes for the courtroom carry; None on a single node."""
        return self._fences.get(courtroom_id) if self.shared else None

    async def join(self, custody: Custody) -> None:
        """Become a node, or refuse to (another node on a single-node setup, or our own id
        still beating: a second process configured as this node)."""
        self._custody = custody
        deadline = time.monotonic() + JOIN_WAIT_S
        while True:
            live = await nodes.live_nodes(self._db)
            clash = [
                n
                for n in live
                if n.id == self.node.id or (self.node.exclusive and not self.node.sibling(n.id))
            ]
            ours = [s for s in await leases.held_leases(self._db) if s.node_id == self.node.id]
            if not clash and not ours:  # our earlier process's leases lapsed too
                break
            if time.monotonic() > deadline:
                if not clash:
                    break  # leases renewed by nobody: the clock says so, they are ours to take
                raise NodeRefused(_refusal(self.node, clash[0]))
            await asyncio.sleep(0.25)
        await nodes.announce(self._db, self.node.id, self.node.url)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._renew_forever(), name="lease renewal")]
        if self.shared:  # a single node has nobody to yield to: it retakes a lapsed lease
            self._tasks.append(asyncio.create_task(self._cut_off_forever(), name="lease cut-off"))

    async def claim(self, courtroom_id: str) -> str | None:
        """None when this node holds the courtroom (taking it if it is free and this node is
        the least loaded); otherwise the URL of the node that holds it or should."""
        if courtroom_id in self._held and courtroom_id not in self._leaving:
            return None
        async with self._lock:
            if courtroom_id in self._held and courtroom_id not in self._leaving:
                return None
            lease = await leases.current_lease(self._db, courtroom_id)
            live = await nodes.live_nodes(self._db)
            if lease is None or lease.node_id == self.node.id:
                best = await self._best(live)  # never this node while it drains
                if best is None:
                    raise Unavailable("no node can take this courtroom now; try again shortly")
                if best.id != self.node.id:
                    return best.url
                if await self._take(courtroom_id):
                    return None
                lease = await leases.current_lease(self._db, courtroom_id)
        return _holder_url(lease, live)

    async def holder_url(self, courtroom_id: str) -> str | None:
        """The URL of the other node holding the courtroom; None if it is here or nowhere."""
        if courtroom_id in self._held:
            return None
        lease = await leases.current_lease(self._db, courtroom_id)
        if lease is None or lease.node_id == self.node.id:
            return None
        return _holder_url(lease, await nodes.live_nodes(self._db))

    async def take_orphans(self, orphans: list[tuple[str, str]] | None = None) -> None:
        """Take over the running recordings nobody holds (`orphans`, as the round found
        them; else read now), when this node is the least loaded."""
        if orphans is None:
            orphans = await leases.orphaned_recordings(self._db)
        if not orphans or self._draining:
            return
        async with self._lock:
            live = await nodes.live_nodes(self._db)
            for _recording_id, courtroom_id in orphans:
                best = await self._best(live)  # the load moves with each courtroom taken
                if best is not None and best.id == self.node.id:
                    await self._take(courtroom_id)

    async def drain(self) -> None:
        """Hand every courtroom to the other nodes: segments indexed, lease released, then
        publishers and viewers hung up so they reconnect to the new holder."""
        self._draining = True
        custody = self._require_custody()
        for courtroom_id in list(self._held):
            self._leaving.add(courtroom_id)
            reserved = await custody.hand_over(courtroom_id)
            fence = self._held.pop(courtroom_id, None)
            self._good_until.pop(courtroom_id, None)
            if fence is not None:
                await leases.release(self._db, courtroom_id, self.node.id, fence, reserved)
            await custody.lost(courtroom_id, "handover")
            self._leaving.discard(courtroom_id)
            log.warning("courtroom %s handed over (drain)", courtroom_id)

    async def others_live(self) -> bool:
        """Whether another node can go on with this one's courtrooms when it stops; a sibling
        worker cannot: the supervisor stops a machine's workers together."""
        return any(
            n.id != self.node.id and not n.draining and not self.node.sibling(n.id)
            for n in await nodes.live_nodes(self._db)
        )

    async def close(self) -> None:
        """Stop renewing; leases still held are released so a restart need not wait."""
        tasks = [*self._tasks, *([self._taking] if self._taking is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            for courtroom_id, fence in list(self._held.items()):
                await leases.release(self._db, courtroom_id, self.node.id, fence)
            await nodes.depart(self._db, self.node.id)
        self._held.clear()

    async def _take(self, courtroom_id: str) -> bool:
        """Acquire the lease; a courtroom new to this node continues its running recording."""
        previous = await leases.previous_lease(self._db, courtroom_id)
        sent = time.monotonic()
        lease = await leases.acquire(self._db, courtroom_id, self.node.id)
        if lease is None:
            return False
        held_already = courtroom_id in self._held
        held_before = courtroom_id in self._fences  # by this process, at some point
        self._hold(lease, sent)
        if not held_already:
            reason = _takeover_reason(previous, self.node.id, held_before)
            await self._require_custody().gained(courtroom_id, reason, previous)
        return True

    def _hold(self, lease: Lease, sent: float) -> None:
        self._held[lease.courtroom_id] = lease.fence
        self._fences[lease.courtroom_id] = Fence(lease.courtroom_id, self.node.id, lease.fence)
        self._good_until[lease.courtroom_id] = sent + CUT_OFF_AFTER_S

    async def _best(self, live: list[NodeRow]) -> NodeRow | None:
        """The live node that should take a free courtroom: fewest cameras held."""
        candidates = [n for n in live if not n.draining]
        if self._draining:
            candidates = [n for n in candidates if n.id != self.node.id]
        held = await leases.held_leases(self._db)
        return await least_loaded(self._db, candidates, held, prefer=self.node.id)

    async def _renew_forever(self) -> None:
        while True:
            sent = time.monotonic()
            try:
                # Never cancelled: a write cut short would leave SQLite locked. A renewal
                # that hangs (the index unreachable) is the cut-off task's business.
                await self._renew_once(sent)
            except Exception as failed:  # the index refused or the connection broke
                log.warning("could not renew this node's leases: %r", failed)
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            await asyncio.sleep(max(0.0, RENEW_EVERY_S - (time.monotonic() - sent)))

    def _take_orphans_apart(self, orphans: list[tuple[str, str]]) -> None:
        """Apart from renewal: a takeover that waits for a lock must not delay our renewals
        (one at a time; the next round finds what is still orphaned)."""
        if not orphans or self._draining or self._taking is not None:
            return
        self._taking = asyncio.create_task(self._take_orphans_logged(orphans), name="orphans")

    async def _take_orphans_logged(self, orphans: list[tuple[str, str]]) -> None:
        try:
            await self.take_orphans(orphans)
        except Exception:
            log.exception("could not take over the recordings no node holds")
        finally:
            self._taking = None

    async def _renew_once(self, sent: float) -> None:
        custody = self._require_custody()
        renewing = dict(self._held)
        reserved = custody.reservations()
        shown = custody.shown(renewing) if self.shared else None  # one node reads its own
        round_ = await leases.keep_alive(
            self._db, self.node.id, custody.cameras(), renewing, reserved, shown=shown
        )
        still = round_.held
        for courtroom_id in still:
            if self._held.get(courtroom_id) == renewing[courtroom_id]:
                self._good_until[courtroom_id] = sent + CUT_OFF_AFTER_S
        for courtroom_id in set(renewing) - still:
            if self._held.get(courtroom_id) == renewing[courtroom_id]:
                if self.shared:
                    await self._let_go(courtroom_id, "its lease was taken over")
                else:
                    await self._retake(courtroom_id)
        live = {n.id for n in round_.live}
        for gone in self._live - live:
            self.on_node_gone(gone)
        self._live = live
        if round_.draining and not self._draining:
            self._tasks.append(asyncio.create_task(self.drain(), name="drain"))
        self._take_orphans_apart(round_.orphans)

    async def _retake(self, courtroom_id: str) -> None:
        """A single node's lease lapsed (a stalled disk): nobody else can hold it; take it back."""
        sent = time.monotonic()
        lease = await leases.acquire(self._db, courtroom_id, self.node.id)
        if lease is not None:
            self._hold(lease, sent)

    async def _cut_off_forever(self) -> None:
        while True:
            await asyncio.sleep(CUT_OFF_CHECK_S)
            now = time.monotonic()
            for courtroom_id, until in list(self._good_until.items()):
                if now > until and courtroom_id in self._held:
                    await self._let_go(courtroom_id, "this node could not renew its lease in time")

    async def _let_go(self, courtroom_id: str, why: str) -> None:
        self._held.pop(courtroom_id, None)
        self._good_until.pop(courtroom_id, None)
        log.error("letting go of courtroom %s: %s", courtroom_id, why)
        await self._require_custody().lost(courtroom_id, "node_lost")

    def _require_custody(self) -> Custody:
        if self._custody is None:
            raise RuntimeError("join() first")
        return self._custody


def _takeover_reason(previous: Lease | None, node_id: str, held_before: bool) -> str:
    """Why the courtroom's footage broke (a gap reason): its holder handed it over (drain),
    this node's earlier process died (crash), or its holder, maybe this process, was lost."""
    if previous is not None and previous.handed_over:
        return "handover"
    if (previous is None or previous.node_id == node_id) and not held_before:
        return "crash"
    return "node_lost"


def _holder_url(lease: Lease | None, live: list[NodeRow]) -> str:
    urls = {n.id: n.url for n in live}
    if lease is None or lease.node_id not in urls:
        raise Unavailable("the courtroom is moving to another node; try again in a second")
    return urls[lease.node_id]


def _refusal(node: NodeIdentity, other: NodeRow) -> str:
    if other.id == node.id:
        return (
            f"another process is running as node {node.id!r} ({other.url}): give each "
            "node its own COURTCAST_NODE_ID and data directory"
        )
    return (
        f"node {other.id!r} ({other.url}) is running on this installation, and "
        f"{node.exclusive}: several nodes need PostgreSQL and S3 (README, 'Several nodes')"
        + ("; one machine's worker processes need PostgreSQL" if node.family else "")
    )
