"""Tamper evidence for drill records: canonical JSON, a hash chain, and optional Ed25519 signatures.

Each record's hash covers its canonical content (which names its drill and position) and its predecessor's hash,
so an edited, deleted or reordered record breaks the chain at that point. A signature covers the record's hash,
and through it everything before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import BadInput

GENESIS = "0" * 64


def canonical(content: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(prev_hash: str, content_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content_json}".encode()).hexdigest()


class SigningKey:
    """An Ed25519 private key loaded from a PEM file (never stored; only its public half is kept)."""

    def __init__(self, path: Path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"{path}: cannot read key file: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            # The message says nothing about the key's bytes: they are a secret.
            raise BadInput(f"{path}: not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise BadInput(f"{path}: the key is not Ed25519 (generate one with `openssl genpkey -algorithm ed25519`)")
        self._key = key
        self.public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, digest_hex: str) -> str:
        return base64.b64encode(self._key.sign(digest_hex.encode())).decode()


def signature_valid(public_pem: str, signature_b64: str, digest_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64, validate=True), digest_hex.encode())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def key_fingerprint(public_pem: str) -> str:
    """SHA-256 of the public key's PEM, shortened: what an approver compares against their own key."""
    return "SHA256:" + hashlib.sha256(public_pem.strip().encode()).hexdigest()[:32]
