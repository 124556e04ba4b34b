"""The object store contract shared by the local directory and S3 back ends.

Recorder, archive and API only ever see this protocol, so a court can move
from the embedded directory to MinIO without touching them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

RetentionMode = Literal["COMPLIANCE", "GOVERNANCE"]


class ObjectNotFound(KeyError):
    """Raised when a key has no object."""


class ObjectStoreUnavailable(ConnectionError):
    """Raised when the store cannot be reached; callers retry later."""


class ObjectLocked(PermissionError):
    """Raised when retention or a legal hold forbids deleting an object; retrying won't help."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store confirmed after a write, or reports for an existing key."""

    key: str
    size: int
    sha256: str
    # the version the store gave this write (versioned buckets); None where there are none
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One stored version of a key, as a versioned bucket lists it (newest first)."""

    version_id: str
    last_modified: datetime | None
    delete_marker: bool


Versions = list[ObjectVersion]


@dataclass(frozen=True, slots=True)
class ObjectProtection:
    """What should stop an object's early deletion: write-once retention and/or a legal hold.

    COMPLIANCE retention cannot be shortened or lifted by anyone, GOVERNANCE only by an
    account with the bypass permission; a legal hold lasts until it is released.
    """

    retain_until: datetime | None = None
    mode: RetentionMode = "GOVERNANCE"
    legal_hold: bool = False


@runtime_checkable
class ObjectStore(Protocol):
    """Durable bytes under string keys (`keys.py` owns the layout)."""

    keeps_protection: bool
    """Whether `protection` and legal holds bind the stored objects (S3 object lock); where
    they cannot, callers need not work out what they would be."""

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        sha256: str,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        """Store a local file under `key`; return only once the store confirms it.

        `sha256` is the hex digest the caller computed while writing; it is kept
        with the object so a later read can be checked against the index.
        `protection` is applied in the same write, so the object is never unprotected.
        """
        ...

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        """Store a small object held in memory (init segments, manifests)."""
        ...

    async def set_legal_hold(self, key: str, on: bool) -> None:
        """Place or release a legal hold on an existing object; raises ObjectNotFound."""
        ...

    async def get_bytes(self, key: str, *, version_id: str | None = None) -> bytes:
        """Read a whole object (that version of it, when given); raises ObjectNotFound."""
        ...

    def stream(
        self, key: str, chunk_size: int = 256 * 1024, *, version_id: str | None = None
    ) -> AsyncIterator[bytes]:
        """Read an object in chunks without holding it in memory; raises ObjectNotFound.

        With `version_id`, that version (the one the index recorded), not the newest.
        """
        ...

    async def stat(self, key: str, *, version_id: str | None = None) -> StoredObject:
        """Size and SHA-256 of an existing object; raises ObjectNotFound."""
        ...

    async def versions(self, key: str) -> Versions:
        """Every version of `key`, newest first ([] on a store without versions)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object (retention and legal holds may refuse it)."""
        ...

    def list(self, prefix: str) -> AsyncIterator[str]:
        """Keys under `prefix`, in lexical order."""
        ...

    async def presigned_get_url(
        self,
        key: str,
        expires_s: int,
        *,
        cache_control: str | None = None,
        version_id: str | None = None,
    ) -> str | None:
        """A URL a plain HTTP client can GET, or None when the API must serve the bytes.

        `cache_control` asks the store to answer that GET with this Cache-Control header.
        """
        ...

    async def ping(self) -> None:
        """Raise ObjectStoreUnavailable unless the store answers (health checks)."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


async def follow_legal_hold(
    store: ObjectStore,
    key: str,
    *,
    written: ObjectProtection | None,
    now: ObjectProtection | None,
) -> None:
    """Bring a just-indexed object's hold in line with its case, read again after indexing.

    A hold placed or released between the read before the put and the object's indexing
    misses it: the hold request applies itself only to objects already in the index.
    """
    held = now is not None and now.legal_hold
    if held != (written is not None and written.legal_hold):
        await store.set_legal_hold(key, held)
