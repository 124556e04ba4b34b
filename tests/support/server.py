"""A real Courtcast server under uvicorn in its own process, on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from storage.db import Database, sqlite_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    base_url: str
    admin_token: str
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    code: Path | None = None  # the checkout it runs from (bench.ingest_ab); None: this one

    def client(self, token: str | None = None, timeout: float = 30.0) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout)

    def index(self) -> Database:
        """The server's index, opened the way someone with database access could."""
        url = self.env.get("COURTCAST_DATABASE_URL")
        return Database(url or sqlite_url(self.data_dir / "index.sqlite3"))

    def index_dump(self) -> bytes:
        """Every byte the index holds (the SQLite files, or a dump of the PostgreSQL database)."""
        url = self.env.get("COURTCAST_DATABASE_URL")
        if url is None:
            return b"".join(p.read_bytes() for p in self.data_dir.glob("index.sqlite3*"))
        dump = subprocess.run(
            ["pg_dump", "--data-only", url.replace("+asyncpg", "")],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return dump.stdout

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        self.launch()
        self.wait_healthy()

    def launch(self) -> None:
        """Start the process without waiting: several servers can then start side by side."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            env=self.env,
            cwd=self.code,  # `-m` imports from the working directory first
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 60  # a cold start on a busy 2-core machine can pass 30 s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"courtcast exited early:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        # reaped here: a process left running would fail a later test with a ResourceWarning
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"courtcast did not become healthy:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextmanager
def running_server(
    data_dir: Path, extra_env: dict[str, str] | None = None, *, code: Path | None = None
) -> Iterator[RunningServer]:
    """A started server; `code`: the checkout it runs from (None: this one)."""
    postgres = os.environ.get("COURTCAST_TEST_POSTGRES")
    database = {"COURTCAST_DATABASE_URL": fresh_postgres_database(postgres)} if postgres else {}
    path = os.environ.get("COURTCAST_RECEIVE_PATH")  # python: the servers receive in Python
    receive_path = {"COURTCAST_RECEIVE_PATH": path} if path else {}
    chosen = {**database, **workers_env(), **receive_path}
    server = configured_server(data_dir, {**chosen, **(extra_env or {})})
    server.code = code
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()


def workers_env() -> dict[str, str]:
    """COURTCAST_TEST_WORKERS=N runs each test server as `serve --workers N` (PostgreSQL
    pass only: workers need PostgreSQL), each worker on a free private port."""
    workers = os.environ.get("COURTCAST_TEST_WORKERS")
    return {"COURTCAST_WORKERS": workers, "COURTCAST_WORKER_PORT": "0"} if workers else {}


def configured_server(data_dir: Path, extra_env: dict[str, str]) -> RunningServer:
    """A server not yet started, on a free port, with only the COURTCAST_ variables given
    here and in `extra_env` (none of the caller's)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURTCAST_")}
    env.update(
        {
            "COURTCAST_HOST": "127.0.0.1",
            "COURTCAST_PORT": str(port),
            "COURTCAST_DATA_DIR": str(data_dir),
            "COURTCAST_ICE_ADDRESSES": "127.0.0.1",
            "COURTCAST_ADMIN_TOKEN": "test-admin-token-" + os.urandom(8).hex(),
            **extra_env,
        }
    )
    return RunningServer(
        base_url=f"http://127.0.0.1:{port}",
        admin_token=env["COURTCAST_ADMIN_TOKEN"],
        data_dir=data_dir,
        env=env,
        log_path=data_dir.parent / f"courtcast-{port}.log",
    )


def fresh_postgres_database(address: str) -> str:
    """A new empty database on the test PostgreSQL, so servers never see each other's rows."""
    host, port = address.split(":")
    name = f"courtcast_{uuid.uuid4().hex[:16]}"
    subprocess.run(
        ["createdb", "-h", host, "-p", port, "-U", "postgres", name],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return f"postgresql+asyncpg://postgres@{address}/{name}"


@asynccontextmanager
async def migrated_index(url: str) -> AsyncIterator[Database]:
    """The index at `url` at the latest schema, closed when the block ends."""
    database = Database(url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def scratch_index_url(directory: Path) -> str:
    """An empty index for one test: a new database on the suite's PostgreSQL when it runs on
    one (COURTCAST_TEST_POSTGRES), else SQLite in `directory`."""
    postgres = os.environ.get("COURTCAST_TEST_POSTGRES")
    return fresh_postgres_database(postgres) if postgres else sqlite_url(directory / "index.db")
