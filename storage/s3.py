"""The S3 object store (MinIO, Ceph RGW, AWS) for courts that keep footage on a server.

The minio SDK is blocking, so every call runs in a worker thread. Its HTTP pool is ours:
short timeouts and no retries, so an outage reaches the uploader as ObjectStoreUnavailable
within seconds, and the uploader (which owns the retry policy) decides what happens next.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import ParamSpec, TypeVar

import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import DictType
from minio.retention import Retention

from storage.objects import (
    ObjectLocked,
    ObjectNotFound,
    ObjectProtection,
    ObjectStoreUnavailable,
    ObjectVersion,
    StoredObject,
    Versions,
)

_log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")

_SHA256_HEADER = "x-amz-meta-sha256"
_LIST_BATCH = 1000


def _take(objects: Iterator[Object], count: int) -> list[Object]:
    return list(itertools.islice(objects, count))


class S3ObjectStore:
    """Objects in one S3 bucket; the SHA-256 travels with each object as user metadata."""

    keeps_protection = True

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool,
        region: str | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._bucket = bucket
        self._region = region
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=2.0, read=10.0), retries=False, maxsize=10
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )
        self._object_lock: bool | None = None

    async def _run(
        self, key: str | None, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """Run a blocking SDK call in a thread and translate its failures into the protocol's."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except S3Error as exc:
            if exc.code == "NoSuchKey" and key is not None:
                raise ObjectNotFound(key) from exc
            if exc.response.status >= 500:
                raise ObjectStoreUnavailable(f"S3 at {self._endpoint}: {exc.code}") from exc
            raise
        except (urllib3.exceptions.HTTPError, ServerError, InvalidResponseError) as exc:
            raise ObjectStoreUnavailable(f"S3 at {self._endpoint} unreachable: {exc}") from exc

    async def ensure_bucket(self) -> None:
        """Create the bucket with object lock, which S3 only allows at creation time."""
        if await self._run(None, self._client.bucket_exists, self._bucket):
            return
        try:
            await self._run(
                None, self._client.make_bucket, self._bucket, self._region, object_lock=True
            )
        except S3Error as exc:
            if exc.code != "BucketAlreadyOwnedByYou":  # another process won the race
                raise

    async def _has_object_lock(self) -> bool:
        if self._object_lock is None:
            try:
                await self._run(None, self._client.get_object_lock_config, self._bucket)
                self._object_lock = True
            except S3Error as exc:
                if exc.code != "ObjectLockConfigurationNotFoundError":
                    raise
                _log.warning(
                    "bucket %s has no object lock; retention periods are not enforced",
                    self._bucket,
                )
                self._object_lock = False
        return self._object_lock

    async def _lock_args(
        self, protection: ObjectProtection | None
    ) -> tuple[Retention | None, bool]:
        """The retention and legal hold to send with a put.

        None on a bucket without object lock, which would refuse them; `_has_object_lock`
        has warned about that once.
        """
        if protection is None or not await self._has_object_lock():
            return None, False
        retention = None
        if protection.retain_until is not None:
            retention = Retention(protection.mode, protection.retain_until)
        return retention, protection.legal_hold

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        sha256: str,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        retention, legal_hold = await self._lock_args(protection)
        return await self._run(
            key, self._put_file, key, path, sha256, content_type, retention, legal_hold
        )

    def _put_file(
        self,
        key: str,
        path: Path,
        sha256: str,
        content_type: str,
        retention: Retention | None,
        legal_hold: bool,
    ) -> StoredObject:
        with path.open("rb") as src:
            size = path.stat().st_size
            written = self._client.put_object(
                self._bucket,
                key,
                src,
                size,
                content_type=content_type,
                metadata={_SHA256_HEADER: sha256},
                retention=retention,
                legal_hold=legal_hold,
            )
        return StoredObject(key=key, size=size, sha256=sha256, version_id=written.version_id)

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        sha256 = hashlib.sha256(data).hexdigest()
        retention, legal_hold = await self._lock_args(protection)
        written = await self._run(
            key,
            self._client.put_object,
            self._bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
            metadata={_SHA256_HEADER: sha256},
            retention=retention,
            legal_hold=legal_hold,
        )
        return StoredObject(key=key, size=len(data), sha256=sha256, version_id=written.version_id)

    async def set_legal_hold(self, key: str, on: bool) -> None:
        """Hold or release the current version of `key`; a no-op without object lock."""
        if not await self._has_object_lock():
            await self.stat(key)  # still report a missing object, as the protocol says
            return
        change = (
            self._client.enable_object_legal_hold if on else self._client.disable_object_legal_hold
        )
        await self._run(key, change, self._bucket, key)

    async def get_bytes(self, key: str, *, version_id: str | None = None) -> bytes:
        return await self._run(key, self._get_bytes, key, version_id)

    def _get_bytes(self, key: str, version_id: str | None) -> bytes:
        response = self._client.get_object(self._bucket, key, version_id=version_id)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    async def stream(
        self, key: str, chunk_size: int = 256 * 1024, *, version_id: str | None = None
    ) -> AsyncIterator[bytes]:
        response = await self._run(
            key, self._client.get_object, self._bucket, key, version_id=version_id
        )
        try:
            while chunk := await self._run(key, response.read, chunk_size):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def stat(self, key: str, *, version_id: str | None = None) -> StoredObject:
        info = await self._run(
            key, self._client.stat_object, self._bucket, key, version_id=version_id
        )
        # objects put by other tools have no digest; "" never matches an index entry
        sha256 = (info.metadata or {}).get(_SHA256_HEADER, "")
        return StoredObject(key=key, size=info.size or 0, sha256=sha256, version_id=info.version_id)

    async def versions(self, key: str) -> Versions:
        """Newest first, delete markers included: what was laid on top of a recorded version."""
        return await self._run(key, self._versions, key)

    def _versions(self, key: str) -> Versions:
        listed = [
            item
            for item in self._client.list_objects(self._bucket, prefix=key, include_version=True)
            if item.object_name == key and item.version_id not in (None, "null")
        ]
        # minio parses delete markers apart and lists them after the versions: order by time,
        # the latest first when two share a timestamp
        listed.sort(key=lambda item: (item.last_modified, item.is_latest == "true"), reverse=True)
        return [
            ObjectVersion(
                version_id=str(item.version_id),
                last_modified=item.last_modified,
                delete_marker=bool(item.is_delete_marker),
            )
            for item in listed
        ]

    async def delete(self, key: str) -> None:
        """Remove every version of `key`, so the bytes are really gone, not hidden by a marker.

        Raises ObjectLocked when retention or a legal hold (or a policy) refuses it.
        """
        await self._run(key, self._delete_versions, key)

    def _delete_versions(self, key: str) -> None:
        versions = self._client.list_objects(self._bucket, prefix=key, include_version=True)
        for version in versions:
            if version.object_name != key:
                continue
            try:
                self._client.remove_object(self._bucket, key, version_id=version.version_id)
            except S3Error as exc:
                if exc.code == "AccessDenied":
                    raise ObjectLocked(f"S3 refused to delete {key!r}: {exc.message}") from exc
                raise

    async def list(self, prefix: str) -> AsyncIterator[str]:
        # S3 lists in UTF-8 byte order, which is the lexical order of the keys
        objects = iter(self._client.list_objects(self._bucket, prefix=prefix, recursive=True))
        while batch := await self._run(None, _take, objects, _LIST_BATCH):
            for obj in batch:
                if obj.object_name is not None:
                    yield obj.object_name

    async def presigned_get_url(
        self,
        key: str,
        expires_s: int,
        *,
        cache_control: str | None = None,
        version_id: str | None = None,
    ) -> str | None:
        # S3's response-* overrides are part of the signed query, so a client cannot drop them.
        overrides: DictType | None = (
            {"response-cache-control": cache_control} if cache_control else None
        )
        return await self._run(
            key,
            self._client.presigned_get_object,
            self._bucket,
            key,
            expires=timedelta(seconds=expires_s),
            response_headers=overrides,
            version_id=version_id,
        )

    async def ping(self) -> None:
        try:
            exists = await self._run(None, self._client.bucket_exists, self._bucket)
        except S3Error as exc:
            raise ObjectStoreUnavailable(f"S3 at {self._endpoint}: {exc.code}") from exc
        if not exists:
            raise ObjectStoreUnavailable(f"bucket {self._bucket!r} does not exist")

    async def close(self) -> None:
        self._http.clear()
