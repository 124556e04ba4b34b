"""Checks Courtcast's signed documents with nothing but Python and `cryptography`.

Standalone on purpose: this module imports only the standard library and
`cryptography`, because every e-dossier package carries it verbatim as
`verify_package.py`, so a higher court, a lawyer or an expert can check the
footage with the package and the court's public key alone. Courtcast itself
uses the same functions, so the court and its readers check the same way.

    python3 verify_package.py PACKAGE --public-key COURT-KEYS.pem

PACKAGE is the package's folder or its .zip. The check: `package.json` is signed by one
of the keys in the PEM file; every file it lists is there with the SHA-256 and size it
states, and nothing else is; each recording's manifest is signed (by a given key, or by
one of the court's keys that the signed `package.json` names, so a manifest signed
before a key rotation verifies), is about this package's recording and hearing, and its
hash chains and SHA-256 values are those of the segment files. It prints `OK ...` and
exits 0, or prints one line per problem and exits 1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHAIN_START = "0" * 64
Document = dict[str, Any]


def canonical_json(document: Any) -> bytes:
    """One byte string per document, so a signature can be checked after a round trip."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A key's fingerprint: the first 16 hex digits of SHA-256 over its raw 32 bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_keys(pem_text: str) -> dict[str, Ed25519PublicKey]:
    """Every Ed25519 public key in a PEM text (one or several blocks), by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    marker = "-----END PUBLIC KEY-----"
    for block in pem_text.split(marker)[:-1]:
        start = block.find("-----BEGIN PUBLIC KEY-----")
        if start < 0:
            raise ValueError("a PEM block without its BEGIN PUBLIC KEY line")
        loaded = serialization.load_pem_public_key((block[start:] + marker).encode())
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("a public key that is not Ed25519")
        keys[key_id(loaded)] = loaded
    if not keys:
        raise ValueError("no PEM public key found")
    return keys


def open_envelope(data: bytes, trusted: Mapping[str, Ed25519PublicKey]) -> tuple[Document, str]:
    """(the signed document, the id of the key that signed it); ValueError otherwise.

    The envelope names its key; only a key in `trusted` is believed, never the one the
    envelope carries. Envelopes written before key ids existed are tried against each key.
    """
    try:
        envelope = json.loads(data)
        signature = base64.b64decode(envelope["signature"], validate=True)
        document = envelope["document"] if "document" in envelope else envelope["manifest"]
        named = envelope.get("key_id")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable signed document: {exc}") from exc
    if not isinstance(document, dict) or envelope.get("algorithm") != "Ed25519":
        raise ValueError("not a readable signed document: no Ed25519-signed object")
    if named is not None:
        if named not in trusted:
            raise ValueError(f"signed with key {named}, which is not one of the trusted keys")
        candidates = [(str(named), trusted[named])]
    else:
        candidates = list(trusted.items())
    signed = canonical_json(document)
    for kid, public_key in candidates:
        try:
            public_key.verify(signature, signed)
        except InvalidSignature:
            continue
        return document, kid
    raise ValueError("the signature does not match: the document was altered")


def chain_link(previous: str, sha256: str, key: str) -> str:
    """The next link: commits to every earlier object, this one's bytes and its place."""
    return hashlib.sha256(f"{previous}\n{sha256}\n{key}".encode()).hexdigest()


def chain_head(objects: list[dict[str, Any]]) -> str:
    """The last link over `objects` ({"sha256", "key"} each), in order."""
    head = CHAIN_START
    for entry in objects:
        head = chain_link(head, entry["sha256"], entry["key"])
    return head


# --- e-dossier packages ---------------------------------------------------------------------

PACKAGE_FORMAT = "courtcast-package/1"
PACKAGE_INDEX = "package.json"
_CHUNK = 1 << 20
# what reading a ZIP entry whose bytes were changed raises (a CRC or a compressed stream fails)
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError)


def recording_folder(recording_id: str) -> str:
    """Where a recording's stored objects sit in a package: its folder in the store, mirrored."""
    return f"recordings/{recording_id}"


def manifest_path(recording_id: str) -> str:
    return f"{recording_folder(recording_id)}/manifest.json"


def object_path(recording_id: str, key: str) -> str:
    """A stored object's place in a package: its key below the recording prefix (camera/name)."""
    return f"{recording_folder(recording_id)}/{'/'.join(key.split('/')[-2:])}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package, printed as one line: KIND path: detail."""

    kind: str  # MISSING, ALTERED, REORDERED, EXTRA, UNVERIFIED, FOREIGN
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.detail}"


@dataclass(frozen=True)
class PackageReport:
    problems: list[Problem]
    summary: str  # what was checked, meaningful when there is no problem


class _Contents:
    """The files of a package directory or ZIP, by path relative to the package's root.

    A package may sit at the top or inside one folder (as a ZIP from the court holds it);
    anything beside that folder is reported as extra.
    """

    def __init__(
        self,
        files: Mapping[str, Callable[[], IO[bytes]]],
        duplicates: list[str],
        archive: zipfile.ZipFile | None,
    ) -> None:
        nested = [
            n[: -len(PACKAGE_INDEX)]
            for n in files
            if n.count("/") == 1 and n.endswith(f"/{PACKAGE_INDEX}")
        ]
        self.root = nested[0] if PACKAGE_INDEX not in files and len(nested) == 1 else ""
        self.files = {n[len(self.root) :]: f for n, f in files.items() if n.startswith(self.root)}
        self.outside = sorted(n for n in files if not n.startswith(self.root))
        self.duplicates = duplicates
        self._archive = archive

    @classmethod
    def open(cls, location: Path) -> _Contents:
        if location.is_dir():
            files = {
                path.relative_to(location).as_posix(): _opener(path)
                for path in sorted(location.rglob("*"))
                if path.is_file()
            }
            return cls(files, [], None)
        archive = zipfile.ZipFile(location)
        entries = [info for info in archive.infolist() if not info.is_dir()]
        counts = Counter(info.filename for info in entries)
        duplicates = sorted(name for name, count in counts.items() if count > 1)
        opened = {info.filename: partial(archive.open, info) for info in entries}
        return cls(opened, duplicates, archive)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()

    def read(self, path: str) -> bytes:
        with self.files[path]() as file:
            return file.read()

    def digest(self, path: str) -> tuple[str, int]:
        """(SHA-256, size) of a file, read in chunks: a package holds hours of video."""
        digest = hashlib.sha256()
        size = 0
        with self.files[path]() as file:
            for chunk in iter(lambda: file.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def verify_package(location: Path, trusted: Mapping[str, Ed25519PublicKey]) -> PackageReport:
    """Check a package (directory or ZIP) with the court's public keys `trusted`."""
    contents = _Contents.open(location)
    try:
        return _check(contents, trusted)
    finally:
        contents.close()


def _check(contents: _Contents, trusted: Mapping[str, Ed25519PublicKey]) -> PackageReport:
    problems = [Problem("EXTRA", n, "outside the package's folder") for n in contents.outside]
    problems += [
        Problem("EXTRA", n, "a second ZIP entry of this name") for n in contents.duplicates
    ]
    if PACKAGE_INDEX not in contents.files:
        problems.append(Problem("MISSING", PACKAGE_INDEX, "the signed index is not there"))
        return PackageReport(problems, "")
    try:
        index_bytes = contents.read(PACKAGE_INDEX)
    except _UNREADABLE as error:
        problems.append(Problem("ALTERED", PACKAGE_INDEX, f"unreadable in the ZIP: {error}"))
        return PackageReport(problems, "")
    try:
        index, signer = open_envelope(index_bytes, trusted)
        if index.get("format") != PACKAGE_FORMAT:
            raise ValueError(f"format {index.get('format')!r} is not {PACKAGE_FORMAT}")
        listed = {entry["path"]: entry for entry in index["files"]}
        vouched = load_public_keys(index["public_keys_pem"])
    except (ValueError, KeyError, TypeError) as error:
        problems.append(Problem("UNVERIFIED", PACKAGE_INDEX, str(error)))
        return PackageReport(problems, "")
    found, sound = _check_files(contents, listed)
    problems += found
    keys = {**vouched, **trusted}
    objects = 0
    for recording in index["recordings"]:
        found, count = _check_recording(
            contents, listed, sound, keys, recording, index["hearing_id"]
        )
        problems += found
        objects += count
    summary = (
        f"{index['hearing_id']}: {len(listed)} files match the index signed by key {signer}; "
        f"{len(index['recordings'])} recordings, {objects} archived objects match their "
        "signed manifests"
    )
    return PackageReport(problems, summary)


def _check_files(
    contents: _Contents, listed: dict[str, dict[str, Any]]
) -> tuple[list[Problem], set[str]]:
    """Every listed file present with its signed bytes, nothing else beside them; the
    problems, and the paths that hold what the index signed."""
    problems = []
    sound = set()
    by_hash = {entry["sha256"]: path for path, entry in listed.items()}
    for path, entry in listed.items():
        if path not in contents.files:
            problems.append(Problem("MISSING", path, "listed in the signed index"))
            continue
        try:
            sha256, size = contents.digest(path)
        except _UNREADABLE as error:
            problems.append(Problem("ALTERED", path, f"unreadable in the ZIP: {error}"))
            continue
        if sha256 == entry["sha256"] and size == entry["size"]:
            sound.add(path)
            continue
        other = by_hash.get(sha256)
        if other is not None:
            problems.append(Problem("REORDERED", path, f"holds the bytes of {other}"))
        else:
            problems.append(
                Problem(
                    "ALTERED",
                    path,
                    f"SHA-256 {sha256} ({size} bytes), signed {entry['sha256']} "
                    f"({entry['size']} bytes)",
                )
            )
    for path in sorted(set(contents.files) - set(listed) - {PACKAGE_INDEX}):
        problems.append(Problem("EXTRA", path, "not in the signed index"))
    return problems, sound


def _check_recording(
    contents: _Contents,
    listed: dict[str, dict[str, Any]],
    sound: set[str],
    keys: Mapping[str, Ed25519PublicKey],
    recording: dict[str, Any],
    hearing_id: str,
) -> tuple[list[Problem], int]:
    """The recording's manifest (signature, ids, chains) and its objects against it.

    The files were checked against the index already (`sound` holds those that match),
    so each object's listed hash stands for its bytes here.
    """
    recording_id = recording["id"]
    path = manifest_path(recording_id)
    if path not in listed:
        return [Problem("MISSING", path, "the signed index lists no manifest for it")], 0
    if path not in sound:
        return [], 0  # already reported as missing, altered or reordered
    try:
        manifest, _ = open_envelope(contents.read(path), keys)
        about = manifest["recording"]
        tracks = manifest["tracks"]
    except (ValueError, KeyError, TypeError) as error:
        return [Problem("UNVERIFIED", path, str(error))], 0
    if about.get("id") != recording_id or about.get("hearing_id") != hearing_id:
        detail = f"recording {about.get('id')} of hearing {about.get('hearing_id')}"
        return [Problem("FOREIGN", path, f"the manifest of {detail}")], 0
    problems = []
    expected = {manifest_path(recording_id)}
    for camera, track in tracks.items():
        if chain_head(track["objects"]) != track["chain"]:
            problems.append(Problem("ALTERED", path, f"the hash chain of camera {camera}"))
        for item in track["objects"]:
            item_path = object_path(recording_id, item["key"])
            expected.add(item_path)
            held = listed.get(item_path)
            if held is None:
                problems.append(Problem("MISSING", item_path, "signed in the manifest"))
            elif held["sha256"] != item["sha256"]:
                detail = (
                    f"indexed as SHA-256 {held['sha256']}, the manifest signed {item['sha256']}"
                )
                problems.append(Problem("ALTERED", item_path, detail))
    folder = recording_folder(recording_id) + "/"
    for stray in sorted(p for p in listed if p.startswith(folder) and p not in expected):
        problems.append(Problem("EXTRA", stray, "in the recording's folder, not in its manifest"))
    return problems, len(expected) - 1


def verify_package_main(argv: Sequence[str] | None = None) -> int:
    """`verify_package.py PACKAGE --public-key KEY`: 0 when it all checks out, 1 if not."""
    parser = argparse.ArgumentParser(
        prog="verify_package.py",
        description="Check a Courtcast e-dossier package (电子卷宗) offline.",
    )
    parser.add_argument("package", type=Path, help="the package directory or its .zip")
    parser.add_argument(
        "--public-key",
        type=Path,
        required=True,
        help="PEM file with the court's public key(s), from the court itself",
    )
    args = parser.parse_args(argv)
    try:
        trusted = load_public_keys(args.public_key.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"verify_package: {args.public_key}: {error}", file=sys.stderr)
        return 2
    try:
        report = verify_package(args.package, trusted)
    except (OSError, zipfile.BadZipFile) as error:
        print(f"verify_package: {args.package}: {error}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(problem)
    if report.problems:
        return 1
    print(f"OK {report.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(verify_package_main())
