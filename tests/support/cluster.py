"""Several `courtcast serve` nodes on one PostgreSQL database and one S3 bucket, as a court
that outgrew one machine runs them (issue 14): each node its own data directory, port,
COURTCAST_NODE_ID and COURTCAST_PUBLIC_URL; all of them the installation's one set of keys
and one admin token.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import RowMapping, text

from storage.db import Database
from storage.keyring import PUBLIC_KEYS_FILE, SECRET_FILE, SIGNING_KEY_FILE, open_installation
from tests.support.server import RunningServer, configured_server, fresh_postgres_database

KEY_FILES = (SIGNING_KEY_FILE, PUBLIC_KEYS_FILE, SECRET_FILE)


def suite_postgres() -> tuple[str, int]:
    """Host and port of the suite's PostgreSQL (COURTCAST_TEST_DATABASE=postgresql runs)."""
    host, port = os.environ["COURTCAST_TEST_POSTGRES"].split(":")
    return host, int(port)


def fresh_index() -> str:
    """A new empty database on the suite's PostgreSQL, for one cluster."""
    host, port = suite_postgres()
    return fresh_postgres_database(f"{host}:{port}")


@dataclass
class Cluster:
    """The nodes, in order: `nodes[0]` is COURTCAST_NODE_ID node-1, and so on."""

    nodes: list[RunningServer]
    index_url: str  # the database every node indexes into (some may reach it by another route)

    @property
    def admin_token(self) -> str:
        return self.nodes[0].admin_token

    @property
    def urls(self) -> list[str]:
        return [node.base_url for node in self.nodes]

    def node_id(self, index: int) -> str:
        return self.nodes[index].env["COURTCAST_NODE_ID"]

    def index_of(self, node_id: str) -> int:
        return next(i for i in range(len(self.nodes)) if self.node_id(i) == node_id)

    def running(self) -> list[int]:
        return [
            i
            for i, node in enumerate(self.nodes)
            if node.process is not None and node.process.poll() is None
        ]

    def start(self, *indexes: int) -> None:
        """Start these nodes side by side, each with node-1's copy of the installation's keys."""
        for index in indexes:
            for name in KEY_FILES:
                target = self.nodes[index].data_dir / name
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.nodes[0].data_dir / name, target)
            self.nodes[index].launch()
        for index in indexes:
            self.nodes[index].wait_healthy()

    def kill(self, index: int) -> None:
        """SIGKILL: a power cut, as far as the other nodes can tell."""
        self.nodes[index].stop(signal.SIGKILL)

    def stop(self, index: int) -> int:
        return self.nodes[index].stop(signal.SIGTERM)

    def client(self, index: int, timeout: float = 30.0) -> httpx.AsyncClient:
        return self.nodes[index].client(timeout=timeout)

    async def nodes_view(self, via: int) -> list[dict[str, Any]]:
        """GET /api/v1/nodes through one node: who is live and which courtrooms each holds."""
        async with self.client(via, timeout=5) as client:
            response = await client.get("/api/v1/nodes")
        assert response.status_code == 200, response.text
        view: list[dict[str, Any]] = response.json()
        return view

    async def holders(self, via: int) -> dict[str, str]:
        """Courtroom id -> the id of the node holding it, as one node sees it."""
        return {
            room: node["id"] for node in await self.nodes_view(via) for room in node["courtrooms"]
        }

    async def rows(self, sql: str, **params: object) -> list[RowMapping]:
        """Ask the shared index directly, as an operator with psql would."""
        db = Database(self.index_url)
        try:
            async with db.engine.connect() as connection:
                result = await connection.execute(text(sql), params)
                return list(result.mappings().all())
        finally:
            await db.close()

    def logs(self, lines: int = 40) -> str:
        """Every node's log tail, for an assertion's message."""
        return "\n".join(
            f"--- {self.node_id(i)} ({node.base_url}) ---\n{node.log_tail(lines)}"
            for i, node in enumerate(self.nodes)
        )


@contextmanager
def running_cluster(
    root: Path,
    count: int,
    shared_env: dict[str, str],
    *,
    index_url: str | None = None,
    index_urls: dict[int, str] | None = None,
    start: int | None = None,
) -> Iterator[Cluster]:
    """`count` nodes on `index_url` (a fresh database if not given); `shared_env` (the S3
    bucket, say) goes to each.

    `index_urls` gives some nodes another route to the same database (a proxy); `start`
    starts only that many at first, `Cluster.start` the others later.
    """
    index_url = index_url or fresh_index()
    token = "test-admin-token-" + os.urandom(8).hex()
    nodes = []
    for i in range(count):
        url = (index_urls or {}).get(i, index_url)
        env = {
            **shared_env,
            "COURTCAST_DATABASE_URL": url,
            "COURTCAST_ADMIN_TOKEN": token,
            "COURTCAST_NODE_ID": f"node-{i + 1}",
            # round-robin cameras retrying through every node are not an attack
            "COURTCAST_MAX_WHIP_ATTEMPTS_PER_MINUTE": "1000",
        }
        node = configured_server(root / f"node-{i + 1}", env)
        node.env["COURTCAST_PUBLIC_URL"] = node.base_url
        nodes.append(node)
    cluster = Cluster(nodes, index_url)
    try:
        _prepare(index_url, nodes[0].data_dir)
        cluster.start(*range(count if start is None else start))
        yield cluster
    finally:
        running = [nodes[i] for i in cluster.running()]
        for node in running:  # all at once: one by one, each would hand its courtrooms on
            assert node.process is not None
            node.process.send_signal(signal.SIGTERM)
        for node in running:
            assert node.process is not None
            try:
                node.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()


def _prepare(index_url: str, first_data_dir: Path) -> None:
    """The schema migrated and the installation's keys made once, before any node starts, so
    the nodes can start side by side (each would otherwise migrate, and make its own keys)."""

    async def migrate() -> None:
        db = Database(index_url)
        try:
            await db.migrate()
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:  # the test's own event loop may be running
        pool.submit(asyncio.run, migrate()).result()
    open_installation(first_data_dir, create=True)
