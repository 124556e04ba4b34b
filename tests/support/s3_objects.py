"""A plain minio client on the test S3 server, to look at objects behind Courtcast's back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import urllib3
from minio import Minio

from tests.fixtures.s3_server import S3Server


@contextmanager
def minio_client(s3: S3Server) -> Iterator[Minio]:
    http = urllib3.PoolManager(retries=False)
    try:
        yield Minio(
            s3.endpoint,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            secure=s3.secure,
            region=s3.region,
            http_client=http,
        )
    finally:
        http.clear()


def version_ids(client: Minio, bucket: str, key: str) -> list[str]:
    """Every version of `key`, newest first."""
    return [
        str(version.version_id)
        for version in client.list_objects(bucket, prefix=key, include_version=True)
        if version.object_name == key
    ]


def read_version(client: Minio, bucket: str, key: str, version_id: str) -> bytes:
    response = client.get_object(bucket, key, version_id=version_id)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


@dataclass(frozen=True)
class ObjectLock:
    mode: str | None
    retain_until: datetime | None
    legal_hold: bool


def object_lock(client: Minio, bucket: str, key: str, version_id: str | None = None) -> ObjectLock:
    """Read from the HEAD headers: RGW's retention XML has nanoseconds minio cannot parse."""
    headers = client.stat_object(bucket, key, version_id=version_id).metadata or {}
    until = headers.get("x-amz-object-lock-retain-until-date")
    return ObjectLock(
        mode=headers.get("x-amz-object-lock-mode"),
        retain_until=datetime.fromisoformat(until) if until else None,
        legal_hold=headers.get("x-amz-object-lock-legal-hold") == "ON",
    )
