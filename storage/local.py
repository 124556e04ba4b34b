"""The embedded object store: a plain directory, so a single courtroom PC needs no server.

Each object is a file at `root/<key>`; its SHA-256 sits beside it in a hidden sidecar
`.<name>.sha256`. Names starting with "." are never valid key parts, so sidecars and
half-written temp files can never collide with, or be listed as, objects.

A stored file (the spool's finished segments) becomes the object by a hard link where the file
system allows it, so each recorded byte is written to the disk once, not copied a second time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
import stat as stat_mode
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from storage.objects import (
    ObjectNotFound,
    ObjectProtection,
    ObjectStoreUnavailable,
    StoredObject,
    Versions,
)

_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


def _check_key(key: str) -> None:
    if not key or key.startswith("/"):
        raise ValueError(f"object key {key!r} must be a non-empty relative path")
    if "\\" in key or "\0" in key:
        raise ValueError(f"object key {key!r} contains a backslash or NUL")
    for part in key.split("/"):
        if not part or part.startswith("."):
            # rejects "..", "." and "a//b", and keeps sidecars and temp files out of the key space
            raise ValueError(f"object key {key!r} has an empty part or one starting with '.'")


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs_durable(path: Path) -> None:
    """Create missing parents and fsync each one's parent, so a new directory survives a crash."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        _fsync_dir(directory.parent)


def _write_all(fd: int, data: bytes) -> None:
    with open(fd, "wb", closefd=False) as dst:
        dst.write(data)


def _write_atomic(target: Path, fill: Callable[[int], None]) -> os.stat_result:
    """Write through a fsynced temp file in the same directory, then rename it over `target`."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        fill(fd)
        os.fsync(fd)
        written = os.fstat(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return written


def _link_atomic(target: Path, source: Path) -> os.stat_result | None:
    """Name `source`'s own inode `target` (a temp name renamed over it), copying nothing; owner
    only, as a copy is. None where the file system cannot link (another device, no hard links)."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        os.link(source, tmp)
    except FileNotFoundError:
        raise
    except OSError:
        return None
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fchmod(fd, 0o600)
            os.fdatasync(fd)  # costs nothing when the caller's bytes are on the disk already
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return written


def _list_keys(root: Path, prefix: str) -> list[str]:
    base = prefix.rpartition("/")[0]
    if base and any(not part or part.startswith(".") for part in base.split("/")):
        return []  # no stored key has such a part
    start = root.joinpath(*base.split("/")) if base else root
    keys: list[str] = []
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in filenames:
            key = name if rel == "." else f"{rel}/{name}"
            if not name.startswith(".") and key.startswith(prefix):
                keys.append(key)
    # str order is code point order, which equals the UTF-8 byte order S3 lists in
    return sorted(keys)


class LocalObjectStore:
    """Objects as files under `root`, written atomically and fsynced before a put returns.

    `protection` is accepted and ignored, and legal holds are no-ops: a directory cannot
    enforce write-once retention or a hold (anyone with file access can delete), so courts
    that need them must use the S3 store with object lock.
    """

    keeps_protection = False

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, version_id: str | None = None) -> Path:
        _check_key(key)
        if version_id is not None:
            # this store never hands out versions, so an index that names one was not ours
            raise ObjectNotFound(f"{key} (version {version_id}: a directory keeps no versions)")
        return self._root.joinpath(*key.split("/"))

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        sha256: str,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        """The file becomes the object (a hard link, or a copy across file systems): it must
        not change after this, as the spool's finished segments never do."""
        target = self._path(key)

        def copy(fd: int) -> None:
            with path.open("rb") as src, open(fd, "wb", closefd=False) as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)

        def link_or_copy() -> os.stat_result:
            linked = _link_atomic(target, path)
            return linked if linked is not None else _write_atomic(target, copy)

        return await asyncio.to_thread(self._put, key, target, link_or_copy, sha256)

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        target = self._path(key)

        sha256 = hashlib.sha256(data).hexdigest()
        return await asyncio.to_thread(
            self._put,
            key,
            target,
            lambda: _write_atomic(target, lambda fd: _write_all(fd, data)),
            sha256,
        )

    @staticmethod
    def _put(
        key: str, target: Path, write: Callable[[], os.stat_result], sha256: str
    ) -> StoredObject:
        """`write` puts the bytes at `target`; then the digest goes beside them, both durable."""
        _makedirs_durable(target.parent)
        written = write()
        # The sidecar names the inode it describes: after a crash between the two renames,
        # stat() sees the mismatch and recomputes instead of trusting a stale digest.
        record = f"{sha256} {written.st_ino} {written.st_size}\n".encode()
        _write_atomic(_sidecar(target), lambda fd: _write_all(fd, record))
        _fsync_dir(target.parent)
        return StoredObject(key=key, size=written.st_size, sha256=sha256)

    async def get_bytes(self, key: str, *, version_id: str | None = None) -> bytes:
        path = self._path(key, version_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except _MISSING as exc:
            raise ObjectNotFound(key) from exc

    async def stream(
        self, key: str, chunk_size: int = 256 * 1024, *, version_id: str | None = None
    ) -> AsyncIterator[bytes]:
        path = self._path(key, version_id)
        try:
            src = await asyncio.to_thread(path.open, "rb")
        except _MISSING as exc:
            raise ObjectNotFound(key) from exc
        try:
            while chunk := await asyncio.to_thread(src.read, chunk_size):
                yield chunk
        finally:
            src.close()

    async def stat(self, key: str, *, version_id: str | None = None) -> StoredObject:
        path = self._path(key, version_id)
        return await asyncio.to_thread(self._stat, key, path)

    @staticmethod
    def _stat(key: str, path: Path) -> StoredObject:
        try:
            info = path.stat()
        except _MISSING as exc:
            raise ObjectNotFound(key) from exc
        if not stat_mode.S_ISREG(info.st_mode):
            raise ObjectNotFound(key)
        try:
            sha256, ino, size = _sidecar(path).read_text().split()
            if (int(ino), int(size)) == (info.st_ino, info.st_size):
                return StoredObject(key=key, size=info.st_size, sha256=sha256)
        except (OSError, ValueError):
            pass  # missing or torn sidecar: the bytes themselves are the truth
        return StoredObject(key=key, size=info.st_size, sha256=_sha256_of(path))

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(self._delete, path)

    @staticmethod
    def _delete(path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
            _sidecar(path).unlink(missing_ok=True)
        except NotADirectoryError:
            return  # a parent is a file, so the object cannot exist
        if path.parent.is_dir():
            _fsync_dir(path.parent)

    async def set_legal_hold(self, key: str, on: bool) -> None:
        """Only checks the object exists: a directory has no hold to set (see the class)."""
        await self.stat(key)

    async def list(self, prefix: str) -> AsyncIterator[str]:
        for key in await asyncio.to_thread(_list_keys, self._root, prefix):
            yield key

    async def versions(self, key: str) -> Versions:
        """Nothing: a file has one version, overwritten in place."""
        self._path(key)
        return []

    async def presigned_get_url(
        self,
        key: str,
        expires_s: int,
        *,
        cache_control: str | None = None,
        version_id: str | None = None,
    ) -> str | None:
        """None: there is no server that could honour a URL, so the API serves the bytes."""
        return None

    async def ping(self) -> None:
        writable = await asyncio.to_thread(
            lambda: self._root.is_dir() and os.access(self._root, os.W_OK | os.X_OK)
        )
        if not writable:
            raise ObjectStoreUnavailable(f"{self._root} is not a writable directory")

    async def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""
