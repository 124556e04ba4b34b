"""Re-judges everything running against the live rule, so a change bites within a second.

Admission checks a viewer once; this guard checks every running WHEP viewer,
WHIP publication and broadcast delay line again every half second, and at
once when the process itself changed something (`check_now`): when the
courtroom's hearing in session changes or ends, when a hearing is sealed or
its broadcast cut, when a token or access code is revoked or expires, when the
court puts a program on air (the public then watches it, and no camera of the
room: a mirror's feed of a camera is hung up here, and with it the viewers the
mirror serves). Whoever is no longer allowed, or would now be admitted
differently, is hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.in_session import facts_about, hearings_in_session, live_verdict, valid_codes
from court.live.broadcasts import BroadcastDesk
from court.live.viewers import ViewerRegistry, Watching
from court.principals import Principal, principals_by_id
from court.program import PROGRAM, ProgramDesk
from court.publications import Publications
from storage.db import Database
from storage.models import Hearing, HearingAssignment

log = logging.getLogger(__name__)

INTERVAL_S = 0.5


class LiveGuard:
    def __init__(
        self,
        *,
        db: Database,
        viewers: ViewerRegistry,
        broadcasts: BroadcastDesk,
        publications: Publications,
        program: ProgramDesk,
        admin_token_set: bool,
    ) -> None:
        self._db = db
        self._program = program
        self._viewers = viewers
        self._broadcasts = broadcasts
        self._publications = publications
        self._admin_token_set = admin_token_set
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live guard")

    async def check_now(self) -> None:
        """Judge everything running at once (after a change made by this process)."""
        async with self._lock:
            await self._sweep()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL_S)
            try:
                await self.check_now()
            except Exception:  # the guard must outlive a database hiccup; the next pass retries
                log.exception("live guard pass failed")

    async def _sweep(self) -> None:
        watching = self._viewers.all()
        publishers = self._publications.publishers()
        lines = self._broadcasts.delayed_hearings()
        if not watching and not publishers and not lines:
            return
        token_ids = {t for t in publishers.values() if t} | {
            w.principal.token_id for w in watching if w.principal and w.principal.token_id
        }
        hearing_ids = {w.hearing_id for w in watching} | set(lines)
        async with self._db.session() as session:
            principals = await principals_by_id(session, token_ids)
            hearings = await _hearings(session, hearing_ids)
            in_session = await hearings_in_session(
                session, {hearing.courtroom_id for hearing in hearings.values()}
            )
            assigned = await _assignments(session, hearing_ids, token_ids)
            codes = await valid_codes(session, [w.code_id for w in watching if w.code_id])
            broadcast_on = {
                hearing_id: (await self._broadcasts.state(session, hearing_id)).on
                for hearing_id in hearings
            }
        for (courtroom_id, camera), token_id in publishers.items():
            if token_id is not None and token_id not in principals:
                await self._publications.end_publication(
                    courtroom_id, camera, reason="token_revoked"
                )
        for hearing_id in lines:
            hearing = hearings.get(hearing_id)
            if hearing is None or in_session.get(hearing.courtroom_id) != hearing_id:
                await self._broadcasts.discard_lines(hearing_id)

        def still_allowed(w: Watching) -> bool:
            hearing = hearings.get(w.hearing_id)
            if hearing is None:
                return False
            if not w.real_time and w.camera != PROGRAM and self._program.state(w.courtroom_id):
                return False  # the court now chooses what the public sees (court/program.py)
            principal = self._current(w.principal, principals)
            verdict = live_verdict(
                facts_about(
                    hearing,
                    in_session=in_session.get(hearing.courtroom_id),
                    principal=principal,
                    assigned=principal is not None and (hearing.id, principal.token_id) in assigned,
                    code=w.code_id in codes and codes[w.code_id].opens(hearing),
                    broadcast_on=broadcast_on[hearing.id],
                )
            )
            return verdict == w.kind

        # Only the viewers gathered above: one admitted meanwhile was judged by its admission.
        doomed = {w.viewer.id for w in watching if not still_allowed(w)}
        hung_up = await self._viewers.close_where(lambda w: w.viewer.id in doomed)
        if hung_up:
            log.info("live guard hung up %d viewer(s) no longer allowed", hung_up)

    def _current(self, admitted: Principal | None, valid: dict[str, Principal]) -> Principal | None:
        """The viewer's token as it stands now: None once revoked or expired."""
        if admitted is None:
            return None
        if admitted.token_id is None:  # the installation's admin token
            return admitted if self._admin_token_set else None
        return valid.get(admitted.token_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _hearings(session: AsyncSession, hearing_ids: Iterable[str]) -> dict[str, Hearing]:
    ids = list(hearing_ids)
    if not ids:
        return {}
    return {h.id: h for h in await session.scalars(select(Hearing).where(Hearing.id.in_(ids)))}


async def _assignments(
    session: AsyncSession, hearing_ids: Iterable[str], token_ids: Iterable[str]
) -> set[tuple[str, str | None]]:
    hearings, tokens = list(hearing_ids), list(token_ids)
    if not hearings or not tokens:
        return set()
    rows = await session.execute(
        select(HearingAssignment.hearing_id, HearingAssignment.token_id).where(
            HearingAssignment.hearing_id.in_(hearings), HearingAssignment.token_id.in_(tokens)
        )
    )
    return {(hearing_id, token_id) for hearing_id, token_id in rows}
