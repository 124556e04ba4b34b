"""The package verifier in-process, on packages made here: what each kind of problem prints.

The end-to-end runs (a recorded hearing, the route, the command, a separate
interpreter) are in tests/integration/test_package.py; these cover the cases a
recording cannot easily produce: ZIP layouts, duplicate entries, a court-signed index
that disagrees with a manifest, a manifest of another hearing, keys and rotations.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from recorder.integrity import build_manifest
from storage import evidence_verifier
from storage.evidence_verifier import (
    PACKAGE_FORMAT,
    load_public_keys,
    manifest_path,
    object_path,
    verify_package,
    verify_package_main,
)
from storage.keyring import KeyRing

HEARING = "h1"
RECORDING = "r1"
PREFIX = f"court/room/2026/03/02/{RECORDING}"


def manifest(ring: KeyRing, *, hearing_id: str = HEARING) -> tuple[bytes, dict[str, bytes]]:
    """A sealed manifest of one camera's three objects, and those objects' bytes by key."""
    stored = {
        f"{PREFIX}/bench/init-0001.mp4": os.urandom(300),
        f"{PREFIX}/bench/seg-00000001.m4s": os.urandom(2000),
        f"{PREFIX}/bench/seg-00000002.m4s": os.urandom(2000),
    }
    objects = [
        {"key": key, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "epoch": 1}
        for key, data in stored.items()
    ]
    document = build_manifest(
        recording={"id": RECORDING, "hearing_id": hearing_id},
        tracks={"bench": objects},
        gaps=[],
        software_version="test",
        audit_head={"entries": 0, "head": "0" * 64},
    )
    return ring.seal(document), stored


def write_package(
    root: Path,
    ring: KeyRing,
    sealed_manifest: bytes,
    stored: dict[str, bytes],
) -> None:
    """A package tree as the builder lays it out, every file listed with its bytes' hash."""
    files = {
        manifest_path(RECORDING): sealed_manifest,
        "hearing.json": b'{"case": {"number": "(2026)\\u6e584\\u6c11\\u521d1\\u53f7"}}',
        **{object_path(RECORDING, key): data for key, data in stored.items()},
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    listing: list[dict[str, Any]] = [
        {"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
        for p, d in sorted(files.items())
    ]
    index = {
        "format": PACKAGE_FORMAT,
        "hearing_id": HEARING,
        "public_keys_pem": ring.public_keys_pem(),
        "recordings": [{"id": RECORDING, "manifest": manifest_path(RECORDING)}],
        "files": listing,
    }
    (root / "package.json").write_bytes(ring.seal(index))


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.create(tmp_path / "keys")


@pytest.fixture
def package(tmp_path: Path, ring: KeyRing) -> Path:
    root = tmp_path / "package"
    write_package(root, ring, *manifest(ring))
    return root


def lines(location: Path, ring: KeyRing) -> list[str]:
    report = verify_package(location, ring.public_keys)
    return [str(problem) for problem in report.problems] or [f"OK {report.summary}"]


def zip_tree(root: Path, output: Path, folder: str, extra: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(output, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, folder + path.relative_to(root).as_posix())
        for name, data in extra.items():
            archive.writestr(name, data)
    return output


def test_an_untouched_package_verifies_as_a_directory_and_as_a_zip(
    package: Path, ring: KeyRing, tmp_path: Path
) -> None:
    assert lines(package, ring) == [
        f"OK {HEARING}: 5 files match the index signed by key {ring.current_id}; "
        "1 recordings, 3 archived objects match their signed manifests"
    ]
    for folder in ("", "courtcast-hearing-h1/"):
        zipped = zip_tree(package, tmp_path / f"p{len(folder)}.zip", folder, {})
        assert lines(zipped, ring)[0].startswith(f"OK {HEARING}: 5 files")


def test_zip_entries_beside_the_folder_or_twice_are_extra(
    package: Path, ring: KeyRing, tmp_path: Path
) -> None:
    folder = "courtcast-hearing-h1/"
    seg = object_path(RECORDING, f"{PREFIX}/bench/seg-00000001.m4s")
    with pytest.warns(UserWarning, match="Duplicate name"):
        zipped = zip_tree(
            package, tmp_path / "p.zip", folder, {"readme.txt": b"x", folder + seg: b"y"}
        )
    assert lines(zipped, ring) == [
        "EXTRA readme.txt: outside the package's folder",
        f"EXTRA {folder}{seg}: a second ZIP entry of this name",
        f"ALTERED {seg}: SHA-256 {hashlib.sha256(b'y').hexdigest()} (1 bytes), signed "
        f"{hashlib.sha256((package / seg).read_bytes()).hexdigest()} (2000 bytes)",
    ]


def test_an_index_the_court_signed_against_its_manifest_is_reported(
    tmp_path: Path, ring: KeyRing
) -> None:
    sealed, stored = manifest(ring)
    seg = object_path(RECORDING, f"{PREFIX}/bench/seg-00000002.m4s")
    root = tmp_path / "odd"
    stored[f"{PREFIX}/bench/seg-00000002.m4s"] = b"other bytes, listed as such"
    write_package(root, ring, sealed, stored)
    assert len(lines(root, ring)) == 1
    assert lines(root, ring)[0].startswith(f"ALTERED {seg}: indexed as SHA-256 ")


def test_a_manifest_of_another_hearing_is_foreign(tmp_path: Path, ring: KeyRing) -> None:
    root = tmp_path / "foreign"
    write_package(root, ring, *manifest(ring, hearing_id="h2"))
    assert lines(root, ring) == [
        f"FOREIGN {manifest_path(RECORDING)}: the manifest of recording {RECORDING} of hearing h2"
    ]


def test_a_manifest_no_vouched_key_signed_is_unverified(tmp_path: Path, ring: KeyRing) -> None:
    stranger = KeyRing.create(tmp_path / "stranger")
    root = tmp_path / "unvouched"
    write_package(root, ring, *manifest(stranger))
    [line] = lines(root, ring)
    assert line == (
        f"UNVERIFIED {manifest_path(RECORDING)}: signed with key {stranger.current_id}, "
        "which is not one of the trusted keys"
    )


def test_after_a_rotation_the_index_vouches_for_the_older_key(
    tmp_path: Path, ring: KeyRing
) -> None:
    old_id = ring.current_id
    sealed, stored = manifest(ring)  # signed before the rotation
    ring.rotate()
    root = tmp_path / "rotated"
    write_package(root, ring, sealed, stored)
    current_only = {ring.current_id: ring.public_keys[ring.current_id]}
    report = verify_package(root, current_only)
    assert report.problems == [] and old_id != ring.current_id


def test_an_index_signed_by_another_key_or_missing_stops_the_check(
    package: Path, ring: KeyRing, tmp_path: Path
) -> None:
    stranger = KeyRing.create(tmp_path / "stranger")
    assert lines(package, stranger) == [
        f"UNVERIFIED package.json: signed with key {ring.current_id}, "
        "which is not one of the trusted keys"
    ]
    envelope: dict[str, Any] = json.loads((package / "package.json").read_bytes())
    envelope["document"]["hearing_id"] = "h2"
    (package / "package.json").write_text(json.dumps(envelope))
    assert lines(package, ring) == [
        "UNVERIFIED package.json: the signature does not match: the document was altered"
    ]
    (package / "package.json").unlink()
    assert lines(package, ring) == ["MISSING package.json: the signed index is not there"]


def test_the_command_line(
    package: Path, ring: KeyRing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "court.pem"
    key.write_text(ring.public_keys_pem())
    assert set(load_public_keys(key.read_text())) == {ring.current_id}
    assert verify_package_main([str(package), "--public-key", str(key)]) == 0
    assert capsys.readouterr().out.startswith(f"OK {HEARING}:")
    (package / "hearing.json").write_text("{}")
    assert verify_package_main([str(package), "--public-key", str(key)]) == 1
    assert capsys.readouterr().out.startswith("ALTERED hearing.json: SHA-256 ")
    key.write_text("not a key")
    assert verify_package_main([str(package), "--public-key", str(key)]) == 2
    assert "no PEM public key found" in capsys.readouterr().err


def test_a_byte_changed_inside_a_zip_is_altered_not_a_crash(
    package: Path, ring: KeyRing, tmp_path: Path
) -> None:
    zipped = zip_tree(package, tmp_path / "p.zip", "courtcast-hearing-h1/", {})
    seg = object_path(RECORDING, f"{PREFIX}/bench/seg-00000001.m4s")
    data = bytearray(zipped.read_bytes())
    at = data.find((package / seg).read_bytes()[:64]) + 10
    data[at] ^= 0x01
    zipped.write_bytes(bytes(data))
    assert lines(zipped, ring) == [
        f"ALTERED {seg}: unreadable in the ZIP: Bad CRC-32 for file 'courtcast-hearing-h1/{seg}'"
    ]


def test_the_verifier_needs_only_the_standard_library_and_cryptography() -> None:
    """It travels alone as verify_package.py: an import of Courtcast would fail there."""
    tree = ast.parse(Path(evidence_verifier.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    tops = {name.split(".")[0] for name in imported}
    assert tops - set(sys.stdlib_module_names) == {"cryptography"}
