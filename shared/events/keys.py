"""A project's Ed25519 signing key (shared.events.signing says what it signs). Apart, since
the crypto library costs a process ~7 MB: only who signs or verifies needs to load it."""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from shared.events.signing import Signature, b64, unb64


def key_id_of(public_key: bytes) -> str:
    """A short name of a public key, so a refusal can say "signed with a replaced key"."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class ProjectKey:
    """A project's signing key: the project keeps the private half (PKCS#8 PEM, which every
    language's crypto library reads); the registry stores only the public half."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> ProjectKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: str) -> ProjectKey:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_b64(self) -> str:
        return b64(self.public)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, message: bytes) -> Signature:
        return Signature(self.key_id, self.private.sign(message))


def verify_project(signature: Signature, message: bytes, public_b64: str) -> bool:
    """Whether the signature holds. Checked with libsodium (PyNaCl): ~60 µs an event here,
    against ~100 µs with OpenSSL's Ed25519 (intake checks every event)."""
    try:
        _verify_key(public_b64).verify(message, signature.value)
    except (BadSignatureError, ValueError, TypeError, binascii.Error):
        return False
    return True


@lru_cache(maxsize=4096)
def _verify_key(public_b64: str) -> VerifyKey:
    return VerifyKey(unb64(public_b64))
