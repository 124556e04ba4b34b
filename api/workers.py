"""All cores of a node: `courtcast serve --workers N` runs N worker processes under a supervisor.

Each worker is a node of its own in the sense of README "Several nodes" (court/leases.py):
node id `<node id>.w<i>`, its own spool (data dir/workers/<i>/spool), the installation's
index and store. The supervisor binds the public port once and every worker inherits that
socket (the kernel hands each connection to whichever worker accepts it first, and a
worker that dies loses no queued connection, unlike SO_REUSEPORT's per-socket queues);
each worker also listens on a private port of its own, its public URL, so a 307 or a
forwarded command reaches the worker holding the courtroom. Courtrooms go to the least
loaded worker (court/placement.py); a dead worker's courtrooms are taken over by the
others through the leases, and the supervisor starts it again (it recovers its spool).

Workers need PostgreSQL: on SQLite they would share one writer lock (a recording's index
writes could wait behind another worker's) and the cluster bus that carries alarms and
events between nodes does not exist (court/cluster_bus.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from api.settings import Settings, worker_spool

log = logging.getLogger(__name__)

START_GRACE_S = 30.0  # a worker that exits sooner after its start failed to start
START_FAILURES = 3  # in a row, for one worker: the whole node stops, showing its error
STOP_WAIT_S = 90.0  # SIGTERM: time for every worker to hand over or finish its recordings
POLL_S = 0.2
BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(BACKLOG)
    return sock


def worker_sockets(settings: Settings) -> tuple[list[socket.socket], Settings]:
    """A worker's sockets (the shared one it inherited, its own private one) and its settings
    with the private port's URL as its public URL."""
    assert settings.worker is not None and settings.listen_fd is not None
    shared = socket.socket(fileno=settings.listen_fd)
    first = settings.port + 1 if settings.worker_port is None else settings.worker_port
    private = listening_socket(settings.host, first + settings.worker if first else 0)
    port = private.getsockname()[1]
    public = urlsplit(settings.public_url or f"http://{settings.host}:{settings.port}")
    host = public.hostname or settings.host
    url = urlunsplit((public.scheme, f"{_bracketed(host)}:{port}", public.path, "", ""))
    return [shared, private], settings.model_copy(update={"public_url": url})


def adopt_stray_spools(data_dir: Path, targets: list[Path]) -> None:
    """Move what an earlier run with another number of workers left spooled into the spools
    this run recovers, so no spooled segment is forgotten when the count changes."""
    known = [data_dir / "spool", *sorted((data_dir / "workers").glob("*/spool"))]
    for stray in (p for p in known if p not in targets and p.is_dir()):
        for recording in sorted(p for p in stray.iterdir() if p.is_dir()):
            free = [t for t in targets if not (t / recording.name).exists()]
            if not free:
                log.error("spool %s: every worker spools this recording too; left", recording)
                continue
            free[0].mkdir(parents=True, exist_ok=True)
            shutil.move(recording, free[0] / recording.name)
            log.warning("spooled recording %s moved to %s", recording.name, free[0])


class Supervisor:
    """Starts the workers (the first alone: it migrates the index and makes the keys), starts
    a dead one again, and passes SIGTERM on to all of them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = settings.workers
        from api.court_config import kept_node_id  # the app's imports: only the supervisor's

        self.node_id = settings.node_id or kept_node_id(settings)
        self.listener = listening_socket(settings.host, settings.port)
        self.listener.set_inheritable(True)
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.launched_at: dict[int, float] = {}
        self.start_failures = dict.fromkeys(range(self.count), 0)
        self.stopping = False
        self.failed = 0

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        adopt_stray_spools(
            self.settings.resolved_data_dir,
            [worker_spool(self.settings.resolved_data_dir, i) for i in range(self.count)],
        )
        self._launch(0)
        ready = False
        while not self.stopping:
            if not ready and self._healthy():
                ready = True
                for i in range(1, self.count):
                    self._launch(i)
            for i, process in list(self.processes.items()):
                if process.poll() is not None:
                    self._exited(i, process.returncode)
            time.sleep(POLL_S)
        return self._stop_all()

    def _env(self, worker: int) -> dict[str, str]:
        """The supervisor's own settings (flags included) and the worker's identity."""
        env = dict(os.environ)
        for field in self.settings.model_fields_set:
            value = getattr(self.settings, field)
            if value is not None:
                env[f"COURTCAST_{field.upper()}"] = str(value)
        env.update(
            COURTCAST_DATA_DIR=str(self.settings.resolved_data_dir),
            COURTCAST_WORKERS="1",
            COURTCAST_WORKER=str(worker),
            COURTCAST_LISTEN_FD=str(self.listener.fileno()),
            COURTCAST_NODE_ID=f"{self.node_id}.w{worker}",
        )
        return env

    def _launch(self, worker: int) -> None:
        self.processes[worker] = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            env=self._env(worker),
            pass_fds=[self.listener.fileno()],
            preexec_fn=_die_with_parent,
        )
        self.launched_at[worker] = time.monotonic()
        log.info("worker %d started (pid %d)", worker, self.processes[worker].pid)

    def _exited(self, worker: int, code: int) -> None:
        early = time.monotonic() - self.launched_at[worker] < START_GRACE_S
        self.start_failures[worker] = self.start_failures[worker] + 1 if early else 0
        if self.start_failures[worker] >= START_FAILURES:
            log.error(
                "worker %d exited with %d at start-up %d times in a row (its error is above):"
                " stopping",
                worker,
                code,
                START_FAILURES,
            )
            self.failed = code or 1
            self.stopping = True
            return
        log.error("worker %d exited with %d; starting it again", worker, code)
        self._launch(worker)

    def _healthy(self) -> bool:
        """Whether the first worker answers on the shared port (it alone accepts there yet)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.settings.host, self.settings.host)
        url = f"http://{_bracketed(host)}:{self.listener.getsockname()[1]}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _stop_all(self) -> int:
        """SIGTERM to every worker at once (each hands over or finishes as a node does)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        for worker, process in self.processes.items():
            try:
                code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker %d did not stop in %.0f s: killed", worker, STOP_WAIT_S)
                process.kill()
                code = process.wait()
            # -SIGTERM: the worker was still starting (its handler not yet installed)
            if code not in (0, -signal.SIGTERM) and not self.failed:
                self.failed = 1
        self.listener.close()
        return self.failed


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _die_with_parent() -> None:
    """In the worker, before exec: the kernel kills it if the supervisor dies (PR_SET_PDEATHSIG),
    as a machine's crash would, so no worker outlives its supervisor."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def supervise(settings: Settings) -> int:
    if settings.index_url.startswith("sqlite"):
        print(
            "courtcast: --workers needs PostgreSQL (COURTCAST_DATABASE_URL): on an SQLite "
            "index the worker processes would queue on one write lock and could not tell "
            "each other of alarms (README, 'Worker processes')",
            file=sys.stderr,
        )
        return 2
    return Supervisor(settings).run()
