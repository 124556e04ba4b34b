"""The installation's keys: the Ed25519 key that signs, the public keys of every key it
ever used, and the secret that keys HMACs (signed links, access codes, the audit chain).

Everything signed names its key id, and `public-keys.json` keeps each public key after
a rotation, so what was signed before keeps verifying. A key file that is missing or
empty is an error, never a reason to make a new key: a new key would silently make the
court's earlier signatures unverifiable here. Only `serve` on a new data directory
(no key material at all) creates them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storage.evidence_verifier import (
    Document,
    canonical_json,
    key_id,
    load_public_keys,
    open_envelope,
    public_key_pem,
)

SIGNING_KEY_FILE = "signing-key.pem"
PUBLIC_KEYS_FILE = "public-keys.json"
SECRET_FILE = "secret.key"
SECRET_BYTES = 32


class KeyMaterialError(RuntimeError):
    """The data directory's keys are missing, empty or unreadable; nothing may be signed."""


@dataclass(frozen=True, slots=True)
class PublicKeyEntry:
    id: str
    pem: str
    created_at: datetime
    retired_at: datetime | None
    # the previous key's signature over this key's id and PEM (none for the first key): a key
    # slipped into public-keys.json by someone without the signing key is not believed
    endorsement: str | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return load_public_keys(self.pem)[self.id]


def is_new_data_dir(data_dir: Path) -> bool:
    """True when the directory holds no key material at all (a first start)."""
    return not any(
        (data_dir / name).exists() for name in (SIGNING_KEY_FILE, PUBLIC_KEYS_FILE, SECRET_FILE)
    )


@dataclass(frozen=True, slots=True)
class Signer:
    """One signing key and its id, fixed: a large document is sealed on a worker thread, off
    the event loop that carries the cameras, and a rotation the key ring follows meanwhile
    cannot make the envelope name one key and carry another's signature."""

    key_id: str
    key: Ed25519PrivateKey

    def seal(self, document: Document) -> bytes:
        """The stored form: the document, its signature and the id of the key that signed it."""
        public = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        envelope = {
            "document": document,
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": base64.b64encode(public).decode(),
            "signature": base64.b64encode(
                self.key.sign(canonical_json_in_pieces(document))
            ).decode(),
        }
        return json.dumps(envelope, ensure_ascii=False, indent=1).encode()


_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json_in_pieces(document: Document) -> bytes:
    """`canonical_json`'s exact bytes, encoded a dict entry or a list item at a time: encoding
    a 4-hour manifest of 4 cameras in one call held the interpreter, and with it the event
    loop waiting for its turn, for 160 ms."""
    return "".join(_pieces(document)).encode()


def _pieces(value: Any) -> Iterator[str]:
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        yield "{"
        for number, (key, item) in enumerate(sorted(value.items())):  # as sort_keys sorts
            yield ("," if number else "") + _encode(key) + ":"
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, list):
        yield "[" + ",".join(_encode(item) for item in value) + "]"
    else:
        yield _encode(value)


class KeyRing:
    """The current signing key and the public half of every key this installation used."""

    def __init__(self, data_dir: Path, current: Ed25519PrivateKey, history: list[PublicKeyEntry]):
        self._data_dir = data_dir
        self._current = current
        self._history = history
        self._stamp = _stamp(data_dir)

    def _follow_rotation(self) -> None:
        """Pick up a `courtcast keys rotate` run beside a serving process, without a restart."""
        stamp = _stamp(self._data_dir)
        if stamp != self._stamp:
            try:
                fresh = KeyRing.open(self._data_dir, repair=False)
            except KeyMaterialError:
                return  # caught mid-rotation (or broken): keep signing as before, look again
            self._current, self._history, self._stamp = fresh._current, fresh._history, stamp

    @classmethod
    def create(cls, data_dir: Path) -> KeyRing:
        """A first key, for a new data directory only (refuses to overwrite one)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        entry = _entry(key.public_key(), created_at=datetime.now(UTC))
        _write_private(data_dir / SIGNING_KEY_FILE, key)
        _write_history(data_dir, [entry])
        return cls(data_dir, key, [entry])

    @classmethod
    def open(cls, data_dir: Path, *, repair: bool = True) -> KeyRing:
        """The data directory's key ring; KeyMaterialError when its key is missing or bad.

        With `repair`, a rotation found half done is undone (not by a process that only
        follows another's rotation: it could be looking while the rotation is under way).
        """
        key = _read_private(data_dir / SIGNING_KEY_FILE)
        history = _read_history(data_dir)
        current_id = key_id(key.public_key())
        if not history:
            # an installation from before key ids: its one key starts the history
            history.append(_entry(key.public_key(), created_at=datetime.now(UTC)))
            _write_history(data_dir, history)
        elif repair and len(history) > 1 and current_id == history[-2].id:
            # a rotation stopped between writing the history and the new key: nothing was
            # signed with the key it announced, so the rotation is undone
            history[-2:] = [replace(history[-2], retired_at=None)]
            _write_history(data_dir, history)
        elif current_id != history[-1].id:
            raise KeyMaterialError(
                f"{data_dir / SIGNING_KEY_FILE} holds key {current_id}, not the newest key of "
                f"{data_dir / PUBLIC_KEYS_FILE} ({history[-1].id}): restore both from the backup"
            )
        return cls(data_dir, key, history)

    @property
    def current_id(self) -> str:
        return self.signer().key_id

    @property
    def keys(self) -> list[PublicKeyEntry]:
        """Every key, oldest first; the current one has no `retired_at`."""
        self._follow_rotation()
        return list(self._history)

    @property
    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {entry.id: entry.public_key for entry in self.keys}

    def public_keys_pem(self) -> str:
        """All public keys as one PEM text, what a court hands to those who check its footage."""
        return "".join(entry.pem for entry in self.keys)

    def signer(self) -> Signer:
        """The current key (after following a rotation), to seal with on any thread."""
        self._follow_rotation()
        current = self._current
        return Signer(key_id(current.public_key()), current)

    def seal(self, document: Document) -> bytes:
        """The stored form: the document, its signature and the id of the key that signed it."""
        return self.signer().seal(document)

    def open_sealed(self, data: bytes) -> tuple[Document, str]:
        """(document, key id) if one of this installation's keys signed it; ValueError else."""
        return open_envelope(data, self.public_keys)

    def rotate(self) -> PublicKeyEntry:
        """Sign with a new key from now on; the old public key stays for verification.

        The old private key is not kept: nothing may be signed with it again.
        """
        now = datetime.now(UTC)
        key = Ed25519PrivateKey.generate()
        fresh = _entry(key.public_key(), created_at=now)
        endorsement = self._current.sign(_endorsed(fresh.id, fresh.pem))
        entry = PublicKeyEntry(
            fresh.id, fresh.pem, now, None, base64.b64encode(endorsement).decode()
        )
        history = [
            PublicKeyEntry(e.id, e.pem, e.created_at, e.retired_at or now, e.endorsement)
            for e in self._history
        ]
        history.append(entry)
        _write_history(self._data_dir, history)  # first: KeyRing.open undoes a half rotation
        _write_private(self._data_dir / SIGNING_KEY_FILE, key, replace=True)
        self._current, self._history, self._stamp = key, history, _stamp(self._data_dir)
        return entry


def load_secret(data_dir: Path) -> bytes:
    """The installation's HMAC secret; KeyMaterialError when it is missing or too short."""
    path = data_dir / SECRET_FILE
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        raise KeyMaterialError(
            f"{path} is missing: restore it from the installation's backup "
            "(a new secret would invalidate the audit chain, links and access codes)"
        ) from None
    if len(secret) < 16:
        raise KeyMaterialError(f"{path} is empty or too short to be a secret ({len(secret)} bytes)")
    return secret


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A subkey of the installation's secret for one purpose (codes, tickets, the audit chain):
    a value made for one can never be replayed as another, and the URL signer's key is never
    reused."""
    return hmac.new(secret, f"courtcast/{purpose}".encode(), hashlib.sha256).digest()


def open_installation(data_dir: Path, *, create: bool) -> tuple[KeyRing, bytes]:
    """The key ring and the secret; with `create`, made together on a new data directory."""
    if create and is_new_data_dir(data_dir):
        ring = KeyRing.create(data_dir)
        secret = secrets.token_bytes(SECRET_BYTES)
        _write_owner_only(data_dir / SECRET_FILE, secret, replace=False)
        return ring, secret
    return KeyRing.open(data_dir), load_secret(data_dir)


def _stamp(data_dir: Path) -> tuple[int, ...]:
    """When the key files last changed (0 for a missing one)."""
    stamps = []
    for name in (SIGNING_KEY_FILE, PUBLIC_KEYS_FILE):
        try:
            stamps.append((data_dir / name).stat().st_mtime_ns)
        except FileNotFoundError:
            stamps.append(0)
    return tuple(stamps)


def _entry(public_key: Ed25519PublicKey, *, created_at: datetime) -> PublicKeyEntry:
    return PublicKeyEntry(key_id(public_key), public_key_pem(public_key), created_at, None)


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyMaterialError(
            f"{path} is missing: restore the signing key from the installation's backup "
            "(a new key would not match what this court signed before)"
        ) from None
    if not data.strip():
        raise KeyMaterialError(f"{path} is empty")
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise KeyMaterialError(f"{path} is not a readable PEM private key: {exc}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyMaterialError(f"{path} does not hold an Ed25519 private key")
    return loaded


def _read_history(data_dir: Path) -> list[PublicKeyEntry]:
    path = data_dir / PUBLIC_KEYS_FILE
    try:
        raw: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["keys"]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyMaterialError(f"{path} is not readable: {exc}") from None
    entries: list[PublicKeyEntry] = []
    for item in raw:
        entry = PublicKeyEntry(
            id=item["id"],
            pem=item["public_key_pem"],
            created_at=datetime.fromisoformat(item["created_at"]),
            retired_at=datetime.fromisoformat(item["retired_at"]) if item["retired_at"] else None,
            endorsement=item.get("endorsement"),
        )
        if entry.id not in load_public_keys(entry.pem):
            raise KeyMaterialError(f"{path}: key {entry.id} does not match its PEM")
        if entries and not _is_endorsed(entry, by=entries[-1]):
            raise KeyMaterialError(
                f"{path}: key {entry.id} is not endorsed by the key before it ({entries[-1].id}); "
                "someone added it without the signing key"
            )
        entries.append(entry)
    return entries


def _endorsed(kid: str, pem: str) -> bytes:
    """What a retiring key signs about its successor."""
    return canonical_json({"endorses": kid, "public_key_pem": pem})


def _is_endorsed(entry: PublicKeyEntry, *, by: PublicKeyEntry) -> bool:
    if entry.endorsement is None:
        return False
    try:
        signature = base64.b64decode(entry.endorsement, validate=True)
        by.public_key.verify(signature, _endorsed(entry.id, entry.pem))
    except (ValueError, InvalidSignature):
        return False
    return True


def _write_history(data_dir: Path, entries: list[PublicKeyEntry]) -> None:
    document = {
        "keys": [
            {
                "id": e.id,
                "algorithm": "Ed25519",
                "public_key_pem": e.pem,
                "created_at": e.created_at.isoformat(),
                "retired_at": e.retired_at.isoformat() if e.retired_at else None,
                "endorsement": e.endorsement,
            }
            for e in entries
        ]
    }
    text = json.dumps(document, ensure_ascii=False, indent=1).encode()
    _write_owner_only(data_dir / PUBLIC_KEYS_FILE, text, replace=True, mode=0o644)


def _write_private(path: Path, key: Ed25519PrivateKey, *, replace: bool = False) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_owner_only(path, pem, replace=replace)


def _write_owner_only(path: Path, data: bytes, *, replace: bool, mode: int = 0o600) -> None:
    """Write durably; with `replace`, through a temp file renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(f".{path.name}.tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    descriptor = os.open(target, flags, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    if replace:
        os.replace(target, path)
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
