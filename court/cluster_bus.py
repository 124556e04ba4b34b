"""Events between the nodes of one installation, over PostgreSQL LISTEN/NOTIFY.

Nodes share nothing but the index database, so that is where their events travel: every
node LISTENs on one channel and NOTIFYs it, each event a JSON object naming the node that
sent it, its kind and its body. A node never hears its own events. Delivery is best effort:
an event published while the connection is down is dropped, so whoever publishes state
(the alarm board) announces it again when the bus reconnects. On SQLite an installation is
one node, and the local bus delivers to nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

log = logging.getLogger(__name__)

CHANNEL = "courtcast_events"
MAX_PAYLOAD_BYTES = 7900  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
RECONNECT_S = 1.0  # between attempts to reach PostgreSQL, and between liveness pings
CONNECT_TIMEOUT_S = 2.0  # also bounds how long start() waits for an unreachable server

# what a lost or confused connection raises; the bus then drops the event and reconnects
CONNECTION_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. the protocol still consuming a terminated backend's error
    OSError,
    TimeoutError,
)

Handler = Callable[[str, dict[str, Any]], None]


class ClusterBus(Protocol):
    async def start(self) -> None: ...

    def subscribe(self, kind: str, handler: Handler) -> None:
        """`handler(node_id, body)` for every event of `kind` another node publishes."""

    def on_connect(self, callback: Callable[[], None]) -> None:
        """`callback()` each time the bus reconnects: events published meanwhile were lost."""

    async def publish(self, kind: str, body: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class LocalBus:
    """A single node's bus: there is no other node to tell."""

    async def start(self) -> None:
        pass

    def subscribe(self, kind: str, handler: Handler) -> None:
        pass

    def on_connect(self, callback: Callable[[], None]) -> None:
        pass

    async def publish(self, kind: str, body: dict[str, Any]) -> None:
        pass

    async def close(self) -> None:
        pass


class PostgresBus:
    """One dedicated connection that listens, notifies, and comes back after an outage.

    Publishing never raises into the caller, and events go out in the order `publish` was
    called (one lock, taken before anything else is awaited).
    """

    def __init__(self, index_url: str, node_id: str) -> None:
        self._dsn = asyncpg_dsn(index_url)
        self._node_id = node_id
        self._handlers: dict[str, list[Handler]] = {}
        self._connect_callbacks: list[Callable[[], None]] = []
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        """Try once (at most CONNECT_TIMEOUT_S), then keep the connection up in the background."""
        await self._connect()
        self._task = asyncio.create_task(self._keep_connected(), name="cluster bus")

    def subscribe(self, kind: str, handler: Handler) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def on_connect(self, callback: Callable[[], None]) -> None:
        self._connect_callbacks.append(callback)

    async def publish(self, kind: str, body: dict[str, Any]) -> None:
        payload = json.dumps({"node": self._node_id, "kind": kind, "body": body})
        if len(payload.encode()) > MAX_PAYLOAD_BYTES:
            log.warning(
                "cluster event %r not sent: %d bytes, NOTIFY takes %d at most",
                kind,
                len(payload.encode()),
                MAX_PAYLOAD_BYTES,
            )
            return
        async with self._lock:
            connection = self._connection
            if connection is None or connection.is_closed():
                log.debug("cluster event %r dropped: not connected to PostgreSQL", kind)
                return
            try:
                await connection.execute(
                    "SELECT pg_notify($1, $2)", CHANNEL, payload, timeout=CONNECT_TIMEOUT_S
                )
            except CONNECTION_ERRORS as error:
                log.debug("cluster event %r dropped: %s", kind, error)
                connection.terminate()  # the keeper notices and reconnects

    async def close(self) -> None:
        """Idempotent."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()

    async def _keep_connected(self) -> None:
        while True:
            await asyncio.sleep(RECONNECT_S)
            if self.connected and not await self._alive():
                await self._disconnect()
            if not self.connected:
                await self._connect()

    async def _alive(self) -> bool:
        """A ping: a cut network leaves a listening connection waiting, unaware, forever."""
        async with self._lock:
            assert self._connection is not None
            try:
                await self._connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_S)
            except CONNECTION_ERRORS:
                return False
            return True

    async def _connect(self) -> None:
        if self._closed:
            return
        connection = None
        try:
            connection = await asyncpg.connect(
                self._dsn,
                timeout=CONNECT_TIMEOUT_S,
                server_settings={"application_name": f"courtcast bus {self._node_id}"[:63]},
            )
            await connection.add_listener(CHANNEL, self._notified)
        except CONNECTION_ERRORS as error:
            log.debug("cluster bus cannot reach PostgreSQL: %s", error)
            if connection is not None:
                connection.terminate()
            return
        if self._closed:  # closed while connecting
            await connection.close()
            return
        self._connection = connection
        log.info("cluster bus listening on %s", CHANNEL)
        for callback in list(self._connect_callbacks):
            try:
                callback()
            except Exception:
                log.exception("cluster bus connect callback failed")

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=CONNECT_TIMEOUT_S)
            except CONNECTION_ERRORS:
                connection.terminate()

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
            node, kind, body = event["node"], event["kind"], event["body"]
        except (ValueError, TypeError, KeyError) as error:
            log.warning("cluster event ignored, not one of ours: %s", error)
            return
        if node == self._node_id:
            return
        for handler in list(self._handlers.get(kind, ())):
            try:
                handler(node, body)
            except Exception:
                log.exception("cluster event %r from %s: handler failed", kind, node)


def asyncpg_dsn(index_url: str) -> str:
    """SQLAlchemy's `postgresql+asyncpg://...` as the plain DSN asyncpg takes."""
    rest = index_url.partition("://")[2]
    return f"postgresql://{rest}" if is_postgres_url(index_url) else index_url


def is_postgres_url(index_url: str) -> bool:
    scheme = index_url.partition("://")[0]
    return scheme.split("+")[0] in ("postgresql", "postgres")


def bus_for(index_url: str, node_id: str) -> ClusterBus:
    """The nodes of a PostgreSQL index talk through it; a SQLite index has one node."""
    return PostgresBus(index_url, node_id) if is_postgres_url(index_url) else LocalBus()
