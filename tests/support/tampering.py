"""What an adversary with raw access does: write the object store or the index behind Courtcast.

Tests of tamper evidence use these to change the archive the way someone holding the
bucket's credentials, the data directory, or the database could, and then check that
Courtcast names what changed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from minio import Minio

from tests.fixtures.s3_server import S3Server
from tests.support.s3_objects import minio_client, read_version, version_ids
from tests.support.server import RunningServer


class StoredObjects(Protocol):
    """The server's object store as someone with raw access to it sees it."""

    def keys(self, suffix: str) -> list[str]: ...
    def read(self, key: str) -> bytes: ...
    def write(self, key: str, data: bytes) -> None: ...
    def copy(self, source: str, target: str) -> None: ...
    def delete(self, key: str) -> None: ...


class LocalObjects:
    def __init__(self, root: Path) -> None:
        self.root = root

    def keys(self, suffix: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob(f"*{suffix}"))

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write(self, key: str, data: bytes) -> None:
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        (self.root / key).write_bytes(data)

    def copy(self, source: str, target: str) -> None:
        """The file and the digest the store keeps beside it, as a careful forger would."""
        shutil.copyfile(self.root / source, self.root / target)
        shutil.copyfile(self.root / sidecar(source), self.root / sidecar(target))

    def delete(self, key: str) -> None:
        (self.root / key).unlink()


def sidecar(key: str) -> str:
    folder, _, name = key.rpartition("/")
    return f"{folder}/.{name}.sha256"


class BucketObjects:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def keys(self, suffix: str) -> list[str]:
        listed = self.client.list_objects(self.bucket, recursive=True)
        return sorted(str(o.object_name) for o in listed if str(o.object_name).endswith(suffix))

    def read(self, key: str) -> bytes:
        newest = version_ids(self.client, self.bucket, key)[0]
        return read_version(self.client, self.bucket, key, newest)

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))

    def copy(self, source: str, target: str) -> None:
        self.write(target, self.read(source))

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)  # a delete marker: locked versions stay


@contextmanager
def stored_objects(server: RunningServer) -> Iterator[StoredObjects]:
    if "COURTCAST_S3_ENDPOINT" not in server.env:
        yield LocalObjects(server.data_dir / "objects")
        return
    env = server.env
    s3 = S3Server(
        endpoint=env["COURTCAST_S3_ENDPOINT"],
        access_key=env["COURTCAST_S3_ACCESS_KEY"],
        secret_key=env["COURTCAST_S3_SECRET_KEY"],
        secure=env["COURTCAST_S3_SECURE"] == "true",
        region="us-east-1",
    )
    with minio_client(s3) as client:
        yield BucketObjects(client, env["COURTCAST_S3_BUCKET"])


def run_sql(server: RunningServer, statement: str) -> None:
    """Tamper with the index the way someone with database access could."""
    url = server.env.get("COURTCAST_DATABASE_URL")
    if url is None:
        import sqlite3

        with sqlite3.connect(server.data_dir / "index.sqlite3") as connection:
            connection.execute(statement)
        return
    subprocess.run(["psql", url.replace("+asyncpg", ""), "-c", statement], check=True, timeout=30)
