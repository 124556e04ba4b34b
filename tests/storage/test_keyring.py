"""The key ring: no silent new key, ids on every signature, rotation keeps old signatures good."""

from __future__ import annotations

import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.evidence_verifier import canonical_json, load_public_keys, open_envelope
from storage.keyring import (
    PUBLIC_KEYS_FILE,
    SECRET_FILE,
    SIGNING_KEY_FILE,
    KeyMaterialError,
    KeyRing,
    canonical_json_in_pieces,
    load_secret,
    open_installation,
)


def test_a_new_data_dir_gets_owner_only_keys_and_an_existing_one_keeps_them(tmp_path: Path) -> None:
    ring, secret = open_installation(tmp_path, create=True)
    assert len(secret) == 32
    for name in (SIGNING_KEY_FILE, SECRET_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    again, same_secret = open_installation(tmp_path, create=True)
    assert again.current_id == ring.current_id
    assert same_secret == secret


@pytest.mark.parametrize("lost", [SIGNING_KEY_FILE, SECRET_FILE])
def test_a_lost_key_file_is_an_error_never_a_new_key(tmp_path: Path, lost: str) -> None:
    open_installation(tmp_path, create=True)
    (tmp_path / lost).unlink()
    with pytest.raises(KeyMaterialError, match="missing"):
        open_installation(tmp_path, create=True)
    assert not (tmp_path / lost).exists()


@pytest.mark.parametrize("emptied", [SIGNING_KEY_FILE, SECRET_FILE])
def test_an_empty_key_file_is_an_error(tmp_path: Path, emptied: str) -> None:
    open_installation(tmp_path, create=True)
    (tmp_path / emptied).write_bytes(b"")
    with pytest.raises(KeyMaterialError, match="empty"):
        open_installation(tmp_path, create=False)


def test_without_create_nothing_is_made(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError):
        KeyRing.open(tmp_path)
    with pytest.raises(KeyMaterialError):
        load_secret(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_signed_documents_name_their_key_and_verify_only_with_a_trusted_one(
    tmp_path: Path,
) -> None:
    ring = KeyRing.create(tmp_path)
    sealed = ring.seal({"case": "(2026)湘04民初123号"})
    assert json.loads(sealed)["key_id"] == ring.current_id
    document, kid = open_envelope(sealed, ring.public_keys)
    assert (document, kid) == ({"case": "(2026)湘04民初123号"}, ring.current_id)

    stranger = KeyRing.create(tmp_path / "other court")
    with pytest.raises(ValueError, match="not one of the trusted keys"):
        open_envelope(sealed, stranger.public_keys)
    forged = json.loads(stranger.seal({"case": "(2026)湘04民初123号"}))
    forged["key_id"] = ring.current_id  # claims the court's key, signed with another
    with pytest.raises(ValueError, match="signature does not match"):
        open_envelope(json.dumps(forged).encode(), ring.public_keys)


def test_rotation_keeps_earlier_signatures_verifying(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path)
    old_id = ring.current_id
    before = ring.seal({"n": 1})
    entry = ring.rotate()
    after = ring.seal({"n": 2})
    assert entry.id != old_id and ring.current_id == entry.id
    reopened = KeyRing.open(tmp_path)
    assert [k.id for k in reopened.keys] == [old_id, entry.id]
    assert reopened.keys[0].retired_at is not None and reopened.keys[1].retired_at is None
    assert open_envelope(before, reopened.public_keys)[1] == old_id
    assert open_envelope(after, reopened.public_keys)[1] == entry.id
    # the PEM text handed to a third party carries both keys
    assert set(load_public_keys(reopened.public_keys_pem())) == {old_id, entry.id}


def test_a_serving_ring_follows_a_rotation_made_by_the_command(tmp_path: Path) -> None:
    serving = KeyRing.create(tmp_path)
    rotated = KeyRing.open(tmp_path).rotate()
    assert open_envelope(serving.seal({"n": 3}), serving.public_keys)[1] == rotated.id


def test_an_installation_from_before_key_ids_starts_its_history(tmp_path: Path) -> None:
    KeyRing.create(tmp_path)
    (tmp_path / PUBLIC_KEYS_FILE).unlink()
    ring = KeyRing.open(tmp_path)
    assert [k.id for k in ring.keys] == [ring.current_id]
    assert (tmp_path / PUBLIC_KEYS_FILE).exists()


def test_a_public_key_history_whose_ids_do_not_match_is_refused(tmp_path: Path) -> None:
    KeyRing.create(tmp_path)
    path = tmp_path / PUBLIC_KEYS_FILE
    history = json.loads(path.read_text())
    history["keys"][0]["id"] = "0123456789abcdef"
    path.write_text(json.dumps(history))
    with pytest.raises(KeyMaterialError, match="does not match"):
        KeyRing.open(tmp_path)


def test_a_key_slipped_into_the_history_without_the_signing_key_is_refused(
    tmp_path: Path,
) -> None:
    ring = KeyRing.create(tmp_path)
    ring.rotate()
    intruder = KeyRing.create(tmp_path / "intruder")
    path = tmp_path / PUBLIC_KEYS_FILE
    history = json.loads(path.read_text())
    [theirs] = json.loads((tmp_path / "intruder" / PUBLIC_KEYS_FILE).read_text())["keys"]
    theirs["endorsement"] = history["keys"][1]["endorsement"]  # borrowed: signs another key
    history["keys"].append(theirs)
    path.write_text(json.dumps(history))
    with pytest.raises(KeyMaterialError, match=f"key {intruder.current_id} is not endorsed"):
        KeyRing.open(tmp_path)


def test_a_signing_key_that_is_not_the_newest_in_the_history_is_refused(tmp_path: Path) -> None:
    KeyRing.create(tmp_path)
    other = tmp_path / "other"
    KeyRing.create(other)
    (tmp_path / SIGNING_KEY_FILE).write_bytes((other / SIGNING_KEY_FILE).read_bytes())
    with pytest.raises(KeyMaterialError, match="not the newest key"):
        KeyRing.open(tmp_path)


def test_a_rotation_stopped_before_the_new_key_was_written_is_undone(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path)
    old_id = ring.current_id
    old_key = (tmp_path / SIGNING_KEY_FILE).read_bytes()
    ring.rotate()
    (tmp_path / SIGNING_KEY_FILE).write_bytes(old_key)  # as if it stopped between the writes
    with pytest.raises(KeyMaterialError):
        KeyRing.open(tmp_path, repair=False)  # a follower only looks
    reopened = KeyRing.open(tmp_path)
    assert [(k.id, k.retired_at) for k in reopened.keys] == [(old_id, None)]
    assert open_envelope(reopened.seal({"n": 4}), reopened.public_keys)[1] == old_id


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(derandomize=True, max_examples=400)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=6))
def test_a_document_encoded_in_pieces_is_byte_for_byte_its_canonical_json(
    document: dict[str, object],
) -> None:
    assert canonical_json_in_pieces(document) == canonical_json(document)


def test_a_manifest_sealed_on_a_worker_thread_opens_with_the_key_it_names(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path)
    signer = ring.signer()
    objects = [{"type": "segment", "sequence": n, "sha256": f"{n:064x}"} for n in range(2000)]
    manifest = {"case_number": "(2026)湘04民初123号", "tracks": {"法庭": {"objects": objects}}}
    with ThreadPoolExecutor(1) as pool:
        sealed = pool.submit(signer.seal, manifest).result()
    rotated = ring.rotate()  # after the snapshot: the envelope keeps the key that signed it

    document, key_id = open_envelope(sealed, ring.public_keys)
    assert (document, key_id) == (manifest, signer.key_id)
    assert key_id != rotated.id
