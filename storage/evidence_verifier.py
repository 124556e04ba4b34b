"""Checks Courtcast's signed documents with nothing but Python and `cryptography`.

Standalone on purpose: this module imports only the standard library and
`cryptography`, because every e-dossier package carries it verbatim as
`verify_package.py`, so a higher court, a lawyer or an expert can check the
footage with the package and the court's public key alone. Courtcast itself
uses the same functions, so the court and its readers check the same way.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

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
