"""Shared fixtures: a real S3 server (Ceph RGW), and Courtcast itself under uvicorn."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storage.db import Database
from tests.support.server import RunningServer, migrated_index, running_server, scratch_index_url

if TYPE_CHECKING:  # the plugin module must be imported by pytest first, for assertion rewriting
    from tests.fixtures.s3_server import S3Server

pytest_plugins = ["tests.fixtures.s3_server", "tests.fixtures.postgres_server"]


def s3_env(s3: S3Server, bucket: str) -> dict[str, str]:
    return {
        "COURTCAST_S3_ENDPOINT": s3.endpoint,
        "COURTCAST_S3_ACCESS_KEY": s3.access_key,
        "COURTCAST_S3_SECRET_KEY": s3.secret_key,
        "COURTCAST_S3_BUCKET": bucket,
        "COURTCAST_S3_SECURE": "true" if s3.secure else "false",
    }


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """An empty index at the latest schema, on the database the suite runs on."""
    async with migrated_index(scratch_index_url(tmp_path)) as database:
        yield database


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """Courtcast on its embedded defaults: SQLite and a local object directory."""
    with running_server(tmp_path / "data") as running:
        yield running


# Production pairs PostgreSQL with S3; the local directory is the embedded (SQLite) default. The
# PostgreSQL pass therefore runs the S3 case only: the local store's case gains nothing from it.
# (COURTCAST_TEST_DATABASE read here: importing the fixture module would defeat its rewriting)
ON_POSTGRES = os.environ.get("COURTCAST_TEST_DATABASE") == "postgresql"
STORES = ["s3"] if ON_POSTGRES else ["local", "s3"]


@pytest.fixture(params=STORES)
def any_store_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    """Courtcast on the real S3 server, and on SQLite also on the local directory."""
    extra: dict[str, str] = {}
    if request.param == "s3":
        s3: S3Server = request.getfixturevalue("s3_server")
        extra = s3_env(s3, request.getfixturevalue("s3_bucket"))
    with running_server(tmp_path / "data", extra) as running:
        yield running
