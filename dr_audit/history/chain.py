"""Tamper evidence for drill records: canonical JSON, a hash chain, and Ed25519 keys and sign-off statements.

Each record's hash covers its canonical content (which names its drill and position) and its predecessor's hash,
so an edited, deleted or reordered record breaks the chain at that point. Anyone with write access can recompute
such a chain; only an approver's signature, by a key pinned outside the store (the plan), resists that. A sign-off
signs a statement naming the drill and the hash of its last record before sign-off, and through it everything
before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import BadInput

GENESIS = "0" * 64
SIGNOFF_PURPOSE = "dr-audit drill sign-off"
RAW_KEY_PREFIX = "ed25519:"


def canonical(content: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(prev_hash: str, content_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content_json}".encode()).hexdigest()


KEY_FILE_BYTES = 64 * 1024  # a PEM key is well under 1 KB


class SigningKey:
    """An Ed25519 private key loaded from a PEM file (never stored; only its public half is kept)."""

    def __init__(self, path: Path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from ..inputs import read_bytes

        data = read_bytes(path, "key file", limit=KEY_FILE_BYTES)  # a FIFO or device would hang or never end
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

    def sign_text(self, message: str) -> str:
        return base64.b64encode(self._key.sign(message.encode())).decode()


def signoff_statement(drill_id: str, head: str, records: int, by: str, role: str) -> str:
    """What an approver's key signs: this drill, as of its record #`records` whose hash is `head`, approved by them.

    Naming the drill, the approver and the role keeps a signature from being moved to another drill or sign-off.
    """
    return canonical({"purpose": SIGNOFF_PURPOSE, "drill_id": drill_id, "head": head, "records": records,
                      "by": by, "role": role})


def statement_signed(public_pem: str, signature_b64: str, statement: str) -> bool:
    return signature_valid(public_pem, signature_b64, statement)


def public_pem_of(text: str) -> str:
    """The canonical PEM of an Ed25519 public key given as PEM or as `ed25519:<base64 of its 32 bytes>`.

    Raises ValueError when it is neither: the plan loader turns that into a one-line error.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = text.strip()
    if raw.startswith(RAW_KEY_PREFIX):
        try:
            data = base64.b64decode(raw.removeprefix(RAW_KEY_PREFIX), validate=True)
        except ValueError:
            raise ValueError("not base64 after 'ed25519:'") from None
        if len(data) != 32:
            raise ValueError(f"an Ed25519 public key is 32 bytes, this one is {len(data)}")
        key = Ed25519PublicKey.from_public_bytes(data)
    else:
        try:
            loaded = serialization.load_pem_public_key(raw.encode())
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("neither 'ed25519:<base64>' nor a PEM public key") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("the public key is not Ed25519")
        key = loaded
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def raw_public_key(public_pem: str) -> str:
    """`ed25519:<base64>`: the one-line form of a public key that pastes into a YAML plan."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem.encode())
    data = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return RAW_KEY_PREFIX + base64.b64encode(data).decode()


def generate_key_pair(private_path: Path) -> tuple[Path, str]:
    """Write a new Ed25519 private key (PEM, owner-only 0600, never overwriting) and its public key next to it as
    `<name>.pub`; returns the public file and the public key's PEM."""
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise BadInput(f"{path} exists: a key file is never overwritten")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    try:
        # Created 0600 in one step (O_EXCL): the private key is never readable by others, not even for a moment.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private)
        public_path.write_text(public_pem, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{exc.filename or private_path}: cannot write the key: {exc.strerror}") from None
    return public_path, public_pem


def signature_valid(public_pem: str, signature_b64: str, digest_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64, validate=True), digest_hex.encode())
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def key_fingerprint(public_pem: str) -> str:
    """SHA-256 of the public key's PEM, shortened: what an approver compares against their own key."""
    return "SHA256:" + hashlib.sha256(public_pem.strip().encode()).hexdigest()[:32]
