"""Alarms an operator must see at once: a feed that went silent, a spool filling up.

The board keeps the alarms that are active now and tells every listener (the
operator console's websocket) when one is raised or cleared, with the time. An alarm
about a courtroom's feeds names the courtroom and the hearing being recorded, so the
routes can show it only to those who may see that hearing (api/routes/events.py); its
subject and message name the courtroom and camera, never a recording.

A page shows an alarm in its reader's language from `code` (the kind, a stable name the
locale tables key as `alarm.<code>`) and `params` (its details: the values its text needs,
e.g. the camera's name); `message` stays in English for logs and API clients.

Attached to a cluster bus (court/cluster_bus.py), the board publishes its own raises and
clears and shows other nodes' alarms beside its own, keyed by node: an operator connected to
any node sees every node's alarms. The bus drops what is published while it is down, so on
each (re)connect a board announces its alarms again (each one, then the list of what it
holds, so a clear that was lost is noticed) and asks the others to do the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from court.cluster_bus import ClusterBus

log = logging.getLogger(__name__)

LISTENER_QUEUE = 256
BUS_KIND = "alarm"  # the cluster bus events the boards exchange


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

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Alarm:
        """The alarm another node sent (`as_json`); KeyError, TypeError or ValueError if not."""
        return cls(
            kind=str(body["kind"]),
            subject=str(body["subject"]),
            message=str(body["message"]),
            since=datetime.fromisoformat(body["since"]),
            details=dict(body["details"]),
            courtroom_id=body.get("courtroom_id"),
            hearing_id=body.get("hearing_id"),
        )


class AlarmBoard:
    def __init__(self) -> None:
        self._active: dict[tuple[str, str], Alarm] = {}
        self._remote: dict[tuple[str, str, str], Alarm] = {}  # (node, kind, subject)
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._bus: ClusterBus | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.raised_total: dict[str, int] = {}  # this node's own alarms

    def raise_alarm(self, alarm: Alarm) -> None:
        """Idempotent: an alarm already active keeps its original time."""
        key = (alarm.kind, alarm.subject)
        if key in self._active:
            return
        self._active[key] = alarm
        self.raised_total[alarm.kind] = self.raised_total.get(alarm.kind, 0) + 1
        event = {"type": "alarm.raised", "alarm": alarm.as_json()}
        self._tell(event)
        self._publish(event)

    def clear(self, kind: str, subject: str) -> None:
        """Clears this node's alarm; another node's stays until that node clears it."""
        alarm = self._active.pop((kind, subject), None)
        if alarm is not None:
            event = {"type": "alarm.cleared", "alarm": _cleared(alarm)}
            self._tell(event)
            self._publish(event)

    def active(self) -> list[Alarm]:
        """This node's alarms and, attached to a bus, the other nodes' ones."""
        alarms = [*self._active.values(), *self._remote.values()]
        return sorted(alarms, key=lambda alarm: alarm.since)

    def attach(self, bus: ClusterBus) -> None:
        """Share alarms with the other nodes on `bus` (call once, with the event loop running)."""
        self._bus = bus
        bus.subscribe(BUS_KIND, self._heard)
        bus.on_connect(self._greet)
        self._greet()

    def forget_node(self, node_id: str) -> None:
        """A node that died cannot clear its alarms: clear them for it."""
        self._forget(node_id, self._keys_of(node_id))

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

    def _greet(self) -> None:
        self._announce()
        self._publish({"type": "alarm.wanted"})

    def _announce(self) -> None:
        for alarm in list(self._active.values()):
            self._publish({"type": "alarm.raised", "alarm": alarm.as_json()})
        self._publish({"type": "alarm.present", "keys": [list(key) for key in self._active]})

    def _heard(self, node: str, event: dict[str, Any]) -> None:
        """An event another node's board published."""
        event_type = event.get("type")
        try:
            if event_type == "alarm.raised":
                alarm = Alarm.from_json(event["alarm"])
                key = (node, alarm.kind, alarm.subject)
                if key not in self._remote:
                    self._remote[key] = alarm
                    self._tell({"type": "alarm.raised", "alarm": alarm.as_json()})
            elif event_type == "alarm.cleared":
                self._forget(node, {(event["alarm"]["kind"], event["alarm"]["subject"])}, event)
            elif event_type == "alarm.present":
                present = {(str(kind), str(subject)) for kind, subject in event["keys"]}
                self._forget(node, self._keys_of(node) - present)
            elif event_type == "alarm.wanted":
                self._announce()
        except (KeyError, TypeError, ValueError) as error:
            log.warning("alarm event %r from node %s ignored: %s", event_type, node, error)

    def _keys_of(self, node: str) -> set[tuple[str, str]]:
        return {(kind, subject) for holder, kind, subject in self._remote if holder == node}

    def _forget(
        self, node: str, keys: set[tuple[str, str]], event: dict[str, Any] | None = None
    ) -> None:
        """Drop `node`'s alarms with these (kind, subject) keys, telling listeners of each."""
        for kind, subject in keys:
            alarm = self._remote.pop((node, kind, subject), None)
            if alarm is not None:
                self._tell(event or {"type": "alarm.cleared", "alarm": _cleared(alarm)})

    def _publish(self, event: dict[str, Any]) -> None:
        """Hand the event to the bus without waiting; the bus never raises into us."""
        if self._bus is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._bus.publish(BUS_KIND, event))
        except RuntimeError:  # no event loop: a test driving the board by hand
            log.debug("alarm event not published: no event loop")
            return
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _tell(self, event: dict[str, Any]) -> None:
        for queue in list(self._listeners):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)


def _cleared(alarm: Alarm) -> dict[str, Any]:
    return {**alarm.as_json(), "cleared_at": datetime.now(UTC).isoformat()}
