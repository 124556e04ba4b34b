"""Events between nodes over a real PostgreSQL's LISTEN/NOTIFY, and alarm boards sharing theirs.

Every test gets its own database on the session's PostgreSQL (NOTIFY never crosses
databases), so tests cannot hear each other. Deliveries are awaited by polling, never by
sleeping a guessed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import asyncpg
import pytest

from court.cluster_bus import LocalBus, PostgresBus, asyncpg_dsn, bus_for
from court.monitoring.alarms import Alarm, AlarmBoard
from tests.fixtures.loopback_start import free_ports
from tests.support.server import fresh_postgres_database

WAIT_S = 5.0


async def eventually(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Poll until `condition()` holds; fail after `timeout_s`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


@pytest.fixture
def index_url(postgres_address: str) -> str:
    return fresh_postgres_database(postgres_address)


class Startable(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...


@contextlib.asynccontextmanager
async def running(*parts: Startable) -> AsyncIterator[None]:
    """Start each part in turn; close them all however the test ends."""
    try:
        for part in parts:
            await part.start()
        yield
    finally:
        for part in parts:
            await part.close()


@pytest.fixture
async def buses(index_url: str) -> AsyncIterator[tuple[PostgresBus, PostgresBus]]:
    first, second = PostgresBus(index_url, "node-a"), PostgresBus(index_url, "node-b")
    async with running(first, second):
        yield first, second


def heard_by(bus: PostgresBus, kind: str) -> list[tuple[str, dict[str, Any]]]:
    heard: list[tuple[str, dict[str, Any]]] = []
    bus.subscribe(kind, lambda node, body: heard.append((node, body)))
    return heard


def spool_alarm() -> Alarm:
    return Alarm("spool_full", "spool", "spool full", details={"used_bytes": 9, "max_bytes": 9})


async def cut_connections(index_url: str) -> None:
    """What a PostgreSQL restart does to the buses: their backends end under them."""
    admin = await asyncpg.connect(asyncpg_dsn(index_url))
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name LIKE 'courtcast bus %'"
        )
    finally:
        await admin.close()
    assert ended == 2


async def test_two_buses_hear_each_other_and_not_themselves(
    buses: tuple[PostgresBus, PostgresBus],
) -> None:
    first, second = buses
    first_heard, second_heard = heard_by(first, "hello"), heard_by(second, "hello")
    await first.publish("hello", {"from": "a"})
    await second.publish("hello", {"from": "b"})
    await eventually(lambda: bool(first_heard) and bool(second_heard))
    # NOTIFYs of one session arrive in order: once "after" is heard, an own event would be too
    await first.publish("hello", {"after": True})
    await second.publish("hello", {"after": True})
    await eventually(lambda: len(first_heard) == 2 and len(second_heard) == 2)
    assert first_heard == [("node-b", {"from": "b"}), ("node-b", {"after": True})]
    assert second_heard == [("node-a", {"from": "a"}), ("node-a", {"after": True})]


async def test_a_handler_that_fails_does_not_stop_the_listener(
    buses: tuple[PostgresBus, PostgresBus],
) -> None:
    first, second = buses

    def fails(_node: str, _body: dict[str, Any]) -> None:
        raise RuntimeError("handler bug")

    second.subscribe("hello", fails)
    heard = heard_by(second, "hello")
    await first.publish("hello", {"n": 1})
    await first.publish("hello", {"n": 2})
    await eventually(lambda: len(heard) == 2)


async def test_a_body_too_big_for_notify_is_not_sent(
    buses: tuple[PostgresBus, PostgresBus], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = buses
    heard = heard_by(second, "bulky")
    with caplog.at_level(logging.WARNING, logger="court.cluster_bus"):
        await first.publish("bulky", {"text": "x" * 10_000})
    assert "'bulky'" in caplog.text
    await first.publish("bulky", {"text": "small"})
    await eventually(lambda: bool(heard))
    assert heard == [("node-a", {"text": "small"})]


async def test_the_bus_comes_back_after_postgresql_drops_its_connection(
    index_url: str, buses: tuple[PostgresBus, PostgresBus]
) -> None:
    first, second = buses
    heard = heard_by(second, "hello")
    await cut_connections(index_url)
    # events published while the bus is down are dropped, never raised: keep trying
    deadline = asyncio.get_running_loop().time() + 10
    while not heard:
        assert asyncio.get_running_loop().time() < deadline, "the bus did not come back"
        await first.publish("hello", {})
        await asyncio.sleep(0.1)
    assert first.connected and second.connected


async def test_an_unreachable_postgresql_neither_blocks_start_nor_raises() -> None:
    (closed_port,) = free_ports(1)
    bus = PostgresBus(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/none", "node-a")
    await asyncio.wait_for(bus.start(), timeout=10)
    assert not bus.connected
    await bus.publish("hello", {"dropped": True})
    await bus.close()
    await bus.close()  # idempotent


async def test_the_local_bus_delivers_nothing() -> None:
    bus = bus_for("sqlite+aiosqlite:///index.db", "node-a")
    assert isinstance(bus, LocalBus)
    heard: list[tuple[str, dict[str, Any]]] = []
    bus.subscribe("hello", lambda node, body: heard.append((node, body)))
    await bus.start()
    await bus.publish("hello", {})
    await asyncio.sleep(0)
    await bus.close()
    assert heard == []


def test_a_postgresql_index_gets_a_postgresql_bus() -> None:
    url = "postgresql+asyncpg://courtcast:secret@db:5432/index?ssl=require"
    assert isinstance(bus_for(url, "node-a"), PostgresBus)
    assert asyncpg_dsn(url) == "postgresql://courtcast:secret@db:5432/index?ssl=require"
    assert asyncpg_dsn("postgresql://db/index") == "postgresql://db/index"


class Node:
    """An alarm board on its own bus, with a listener recording what an operator would see."""

    def __init__(self, index_url: str, node_id: str) -> None:
        self.bus = PostgresBus(index_url, node_id)
        self.board = AlarmBoard()
        self.events: list[dict[str, Any]] = []
        self._listening: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.bus.start()
        self.board.attach(self.bus)
        self._listening = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        async for event in self.board.listen():
            self.events.append(event)

    def heard(self, event_type: str, kind: str) -> bool:
        return any(e["type"] == event_type and e["alarm"]["kind"] == kind for e in self.events)

    def active_kinds(self) -> list[str]:
        return [alarm.kind for alarm in self.board.active()]

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        await self.bus.close()


@pytest.fixture
async def nodes(index_url: str) -> AsyncIterator[tuple[Node, Node]]:
    first, second = Node(index_url, "node-a"), Node(index_url, "node-b")
    async with running(first, second):
        yield first, second


async def test_an_alarm_raised_on_one_node_shows_on_the_other_until_cleared(
    nodes: tuple[Node, Node],
) -> None:
    first, second = nodes
    alarm = spool_alarm()
    first.board.raise_alarm(alarm)
    await eventually(lambda: second.heard("alarm.raised", "spool_full"))
    assert second.board.active() == [alarm]
    raised = next(e for e in second.events if e["type"] == "alarm.raised")
    assert raised == {"type": "alarm.raised", "alarm": alarm.as_json()}
    assert second.board.raised_total == {}  # counted where it was raised

    # the other node's own alarm of the same kind and subject stands beside it
    second.board.raise_alarm(spool_alarm())
    await eventually(lambda: len(first.board.active()) == 2)
    second.board.clear("spool_full", "spool")

    first.board.clear("spool_full", "spool")
    await eventually(lambda: second.active_kinds() == [])
    assert [e["type"] for e in second.events].count("alarm.cleared") == 2  # its own, then first's
    await eventually(lambda: first.active_kinds() == [])


async def test_a_dead_nodes_alarms_are_forgotten(nodes: tuple[Node, Node]) -> None:
    first, second = nodes
    first.board.raise_alarm(spool_alarm())
    await eventually(lambda: second.active_kinds() == ["spool_full"])
    second.board.forget_node("node-a")
    assert second.active_kinds() == []
    await eventually(lambda: second.heard("alarm.cleared", "spool_full"))
    assert first.active_kinds() == ["spool_full"]


async def test_a_node_started_later_learns_the_alarms_already_raised(index_url: str) -> None:
    first, second = Node(index_url, "node-a"), Node(index_url, "node-b")
    async with running(first):
        first.board.raise_alarm(spool_alarm())
        async with running(second):
            await eventually(lambda: second.active_kinds() == ["spool_full"])


async def test_alarms_raised_and_cleared_while_the_bus_was_down_are_caught_up(
    index_url: str, nodes: tuple[Node, Node]
) -> None:
    first, second = nodes
    first.board.raise_alarm(spool_alarm())
    await eventually(lambda: second.active_kinds() == ["spool_full"])
    await cut_connections(index_url)
    first.board.clear("spool_full", "spool")  # most likely dropped: the bus is down
    first.board.raise_alarm(Alarm("spool_filling", "spool", "spool filling"))
    await eventually(lambda: second.active_kinds() == ["spool_filling"], timeout_s=10)
    assert second.heard("alarm.cleared", "spool_full")
