"""The servers' fixtures (RGW, PostgreSQL): a port taken between its choice and a daemon's bind
(by any other process on the machine, another test session's included) costs a new start,
never the session's tests; any other failure is reported at once with the logs."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import urllib.request
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures import postgres_server
from tests.fixtures.loopback_start import NotStarted, start_on_free_ports
from tests.fixtures.s3_server import _Start, start_gateway


def test_a_gateway_start_that_lost_its_port_is_made_again_on_new_ones(tmp_path: Path) -> None:
    taken = socket.socket()  # bound, never listening: the script's own check passes it
    taken.bind(("127.0.0.1", 0))
    chosen: list[_Start] = []

    def choose(base: Path, attempt: int) -> _Start:
        start = _Start.choose(base, attempt)
        if attempt == 1:
            port = taken.getsockname()[1]
            start = dataclasses.replace(
                start, rgw_port=port, env={**start.env, "RGW_PORT": str(port)}
            )
        chosen.append(start)
        return start

    try:
        start = start_gateway(tmp_path, choose)
        try:
            assert [s.rgw_port for s in chosen] == [taken.getsockname()[1], start.rgw_port]
            assert chosen[0].port_taken()
            with urllib.request.urlopen(f"http://127.0.0.1:{start.rgw_port}/", timeout=10) as reply:
                assert reply.status == 200
                assert b"ListAllMyBucketsResult" in reply.read()
        finally:
            start.stop()
    finally:
        taken.close()


def test_any_other_gateway_failure_is_reported_at_once(tmp_path: Path) -> None:
    attempts: list[int] = []

    def choose(base: Path, attempt: int) -> _Start:
        attempts.append(attempt)
        start = _Start.choose(base, attempt)
        return dataclasses.replace(start, env={**start.env, "RGW_DIR": "/proc/no-such-dir"})

    with pytest.raises(NotStarted, match=r"start-rgw\.sh exited with"):
        start_gateway(tmp_path, choose)
    assert attempts == [1]


def test_a_database_start_that_lost_its_port_is_made_again_on_a_new_one() -> None:
    taken = socket.socket()  # bound, never listening
    taken.bind(("127.0.0.1", 0))
    chosen: list[postgres_server._Start] = []

    def choose(attempt: int) -> postgres_server._Start:
        start = postgres_server._Start.choose(attempt)
        if attempt == 1:
            port = taken.getsockname()[1]
            start = dataclasses.replace(start, port=port, env={**start.env, "PG_PORT": str(port)})
        chosen.append(start)
        return start

    try:
        start = start_on_free_ports(choose)
        try:
            assert [s.port for s in chosen] == [taken.getsockname()[1], start.port]
            assert not chosen[0].directory.exists()  # the lost attempt's cluster is gone
            assert asyncio.run(_select_one(start.port)) == 1
        finally:
            start.stop()
        assert not start.directory.exists()
    finally:
        taken.close()


async def _select_one(port: int) -> int:
    connection = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres")
    try:
        value: int = await connection.fetchval("SELECT 1")
        return value
    finally:
        await connection.close()
