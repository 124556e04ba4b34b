"""Who publishes each camera: one WHIP publication per (courtroom, camera) at a time.

A camera's publication feeds its hub (streaming/hub.py); recordings and viewers read the hub,
so a camera can reconnect, or be hung up, without either noticing more than a gap.
"""

from __future__ import annotations

import logging
import time

from court.errors import Conflict
from court.monitoring.metrics import Timings
from streaming.hub import HubRegistry
from streaming.whip import WhipPublication

log = logging.getLogger(__name__)

Camera = tuple[str, str]  # (courtroom id, camera name)


class CameraBusy(Conflict):
    """A second publisher tried to take a camera that is already publishing."""


class Publications:
    def __init__(self, hubs: HubRegistry, timings: Timings) -> None:
        self._hubs = hubs
        self._timings = timings
        self._publications: dict[Camera, WhipPublication | None] = {}  # None: answer on its way
        self._publishers: dict[Camera, str | None] = {}  # the token id that published
        self._end_reasons: dict[Camera, str] = {}  # why we ended a publication

    def publishing_cameras(self, courtroom_id: str) -> list[str]:
        return sorted(
            camera
            for (room, camera), publication in self._publications.items()
            if room == courtroom_id and publication is not None
        )

    def clock_offsets(self, courtroom_id: str) -> dict[str, float]:
        """How far each publishing camera's clock is from the server's (0 when trusted)."""
        return {
            camera: publication.clock_offset_s
            for (room, camera), publication in self._publications.items()
            if room == courtroom_id and publication is not None
        }

    def count(self) -> int:
        return sum(1 for p in self._publications.values() if p is not None)

    async def publish(
        self, courtroom_id: str, camera: str, offer_sdp: str, *, token_id: str | None
    ) -> WhipPublication:
        """Answer a WHIP offer; raises CameraBusy or ValueError (bad offer).

        `token_id` is the publisher's token (None for the installation's admin
        token), so revoking it ends the publication (`end_publication`).
        """
        offered = time.monotonic()
        key = (courtroom_id, camera)
        hub = self._hubs.hub(courtroom_id, camera)
        current = self._publications.get(key)
        if current is not None and current.is_stale(hub.seconds_since_last_frame()):
            # The camera lost its network and came back before the old call timed out.
            log.warning("camera %s/%s reconnected; dropping its stale publication", *key)
            await current.close()
        if key in self._publications:
            raise CameraBusy(f"camera {camera!r} is already publishing")
        self._publications[key] = None  # reserved while the answer is built
        try:
            publication = await WhipPublication.create(
                offer_sdp,
                hub,
                on_ended=lambda ended: self._ended(key, ended),
            )
        except BaseException:
            del self._publications[key]
            raise
        self._publications[key] = publication
        self._publishers[key] = token_id
        self._end_reasons.pop(key, None)
        self._timings.whip_answer.observe(time.monotonic() - offered)
        return publication

    def publishers(self) -> dict[Camera, str | None]:
        """(courtroom, camera) -> the token id of each running publication."""
        return {key: self._publishers.get(key) for key, p in self._publications.items() if p}

    async def end_publication(self, courtroom_id: str, camera: str, *, reason: str) -> None:
        """Hang up a camera for `reason` (a gap reason): its track's gap says why."""
        key = (courtroom_id, camera)
        publication = self._publications.get(key)
        if publication is not None:
            log.warning("ending the publication of camera %s/%s: %s", *key, reason)
            self._end_reasons[key] = reason
            await publication.close()

    async def hang_up_courtroom(self, courtroom_id: str) -> None:
        """Hang up the courtroom's cameras because another node takes it: they reconnect
        there. No reason is kept: this node records no gap, the new holder does."""
        for (room, camera), publication in list(self._publications.items()):
            if room == courtroom_id and publication is not None:
                log.warning(
                    "hanging up camera %s/%s: another node takes its courtroom", room, camera
                )
                await publication.close()

    def end_reason(self, courtroom_id: str, camera: str) -> str:
        """Why the camera's last publication ended (once): ours, or the publisher left."""
        return self._end_reasons.pop((courtroom_id, camera), "publisher_left")

    async def unpublish(self, courtroom_id: str, camera: str, publication_id: str) -> bool:
        publication = self._publications.get((courtroom_id, camera))
        if publication is None or publication.id != publication_id:
            return False
        await publication.close()
        return True

    async def close(self) -> None:
        """Hang up every camera (shutdown)."""
        for publication in [p for p in self._publications.values() if p is not None]:
            await publication.close()

    def _ended(self, key: Camera, publication: WhipPublication) -> None:
        if self._publications.get(key) is publication:
            del self._publications[key]
            self._publishers.pop(key, None)
