"""Settings: the environment variables of GUIDE section 1, also `courtcast serve` flags.

Read once in `api/` and handed to the other packages as plain arguments.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from recorder.retention import (
    DEFAULT_RETENTION_CLASSES,
    RetentionClass,
    parse_retention_classes,
)
from storage.db import sqlite_url
from storage.objects import RetentionMode


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COURTCAST_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("./courtcast-data")
    database_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str | None = None
    s3_secure: bool = False
    admin_token: str | None = None
    ice_addresses: str = ""  # comma-separated host addresses for WebRTC media; empty = all
    # Publishers' media in C (streaming/native) when built, else Python; or forced either way
    receive_path: Literal["auto", "native", "python"] = "auto"
    # Several nodes (README "Several nodes"): this node's id (unset: one made once and kept in
    # the data dir, so a restart, or a new machine given the data dir, is the same node) and
    # the URL other nodes send its courtrooms' WHIP, WHEP and commands to.
    node_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    public_url: str | None = None
    # All cores of a node (README "Worker processes", api/workers.py): `serve` runs this many
    # worker processes, each a node of its own on the shared public port and on a private
    # port of its own (worker_port + i; unset: port + 1 + i; 0: any free port) that is its
    # public URL. "auto": one per core. Needs PostgreSQL.
    workers: int = Field(default=1, ge=1, le=256)
    worker_port: int | None = Field(default=None, ge=0, le=65535)
    # Set by the supervisor for the process it starts, never by hand: which worker this is
    # and the descriptor of the shared listening socket it inherited.
    worker: int | None = Field(default=None, ge=0)
    listen_fd: int | None = Field(default=None, ge=0)

    segment_seconds: float = Field(default=2.0, gt=0.2, le=10.0)
    fragment_seconds: float = Field(default=0.4, gt=0.05, le=5.0)
    max_sdp_bytes: int = 64 * 1024
    max_json_bytes: int = 1024 * 1024  # every request body that is not SDP
    # WebRTC peers per client address and per courtroom or hearing (api/admission.py)
    max_whep_per_address: int = Field(default=64, gt=0)
    max_whep_per_hearing: int = Field(default=500, gt=0)
    max_whip_attempts_per_minute: int = Field(default=60, gt=0)  # per address
    max_whip_negotiations_per_address: int = Field(default=16, gt=0)
    max_whip_negotiations_per_courtroom: int = Field(default=32, gt=0)
    spool_max_bytes: int = Field(default=20 * 1024**3, gt=0)  # segments waiting for the store
    # Wrong access codes allowed per window (court/live/code_attempts.py); viewer ticket life
    access_code_failures_per_address: int = Field(default=5, gt=0)  # per address per hearing
    access_code_failures_per_hearing: int = Field(default=100, gt=0)  # from all addresses
    access_code_failure_window_s: float = Field(default=300.0, gt=0)
    viewer_ticket_s: int = Field(default=600, ge=30, le=3600)
    # Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed; empty: none
    trusted_proxies: str = ""
    court_name: str = "Courtcast"
    court_timezone: str = "Asia/Shanghai"
    retention_classes: str = DEFAULT_RETENTION_CLASSES  # JSON: case type -> {years, mode}
    # Signed checkpoints of the audit log's head (storage/audit_checkpoints.py): how often
    # (when the head moved), and how long the store must refuse to delete them. GOVERNANCE
    # by default, like civil recordings: COMPLIANCE would make every test bucket on a shared
    # MinIO undeletable for years; a court that wants no bypass at all sets COMPLIANCE.
    audit_checkpoint_interval_s: float = Field(default=60.0, gt=0)
    audit_checkpoint_retention_days: int = Field(default=3650, gt=0)
    audit_checkpoint_retention_mode: RetentionMode = "GOVERNANCE"

    @field_validator("retention_classes")
    @classmethod
    def _check_retention_classes(cls, value: str) -> str:
        """Fail at start-up, not at the first recording of a case type."""
        parse_retention_classes(value)
        return value

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: object) -> object:
        """`auto`: one worker per core the machine has."""
        return os.cpu_count() or 1 if value == "auto" else value

    @cached_property
    def retention_table(self) -> dict[str, RetentionClass]:
        return parse_retention_classes(self.retention_classes)

    @cached_property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def index_url(self) -> str:
        return self.database_url or sqlite_url(self.resolved_data_dir / "index.sqlite3")

    @property
    def ice_address_list(self) -> list[str]:
        return [address.strip() for address in self.ice_addresses.split(",") if address.strip()]

    @property
    def spool_dir(self) -> Path:
        """Each worker process spools apart: a takeover must not share files with the dead."""
        if self.worker is None:
            return self.resolved_data_dir / "spool"
        return worker_spool(self.resolved_data_dir, self.worker)


def worker_spool(data_dir: Path, worker: int) -> Path:
    return data_dir / "workers" / str(worker) / "spool"
