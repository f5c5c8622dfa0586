"""Encryption of secrets at rest (agent keys, relay keys, client secrets, webhook secrets).

Keys come from the environment as a comma-separated list of Fernet keys: the first encrypts,
all of them decrypt, so a key is rotated by putting the new one first and running
``pms-sync secrets rotate`` (``Store.rotate_secrets``), which re-encrypts every stored secret
with it; the old key can then be removed.

The same keys make keyed digests (`Fingerprint`, HMAC-SHA256) of values the service compares
later but must not keep (an import's baseline, `plugin/drift.py`). Each key yields its own digest
key, named by a key id kept beside the digests: a digest made under a key no longer configured
cannot be checked, so removing a key after rotation leaves those digests unusable (there is
nothing to re-encrypt: the values they stand for were never kept).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_DIGEST_LABEL = b"pms-sync value fingerprint v1"


@dataclass(frozen=True)
class Fingerprint:
    """Keyed digests (HMAC-SHA256) under one secret key: equal values give equal digests, and a
    digest tells nothing of its value to whoever lacks the key."""

    key_id: str
    _key: bytes = field(repr=False)

    def __call__(self, value: str | None) -> str | None:
        """The digest of `value`; no value (None or empty) has none."""
        if value is None or value == "":
            return None
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def of_secret_key(cls, secret_key: str) -> Fingerprint:
        key = hmac.new(base64.urlsafe_b64decode(secret_key), _DIGEST_LABEL, hashlib.sha256).digest()
        return cls(hashlib.sha256(key).hexdigest()[:16], key)


class SecretKeyError(ValueError):
    """The configured secret keys are missing or malformed."""


class SecretBox:
    def __init__(self, keys: str | list[str]) -> None:
        items = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
        if not items:
            raise SecretKeyError("no secret key configured (PMS_SYNC_SECRET_KEYS)")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in items])
        except ValueError as exc:
            raise SecretKeyError("PMS_SYNC_SECRET_KEYS must hold Fernet keys (32 url-safe base64 bytes)") from exc
        self._fingerprints = [Fingerprint.of_secret_key(k) for k in items]

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def fingerprint(self) -> Fingerprint:
        """Digests under the first key (the one that encrypts)."""
        return self._fingerprints[0]

    def fingerprint_for(self, key_id: str) -> Fingerprint | None:
        """Digests under the configured key named `key_id` (None: no such key is configured)."""
        return next((f for f in self._fingerprints if f.key_id == key_id), None)

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None or plaintext == "":
            return None
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("a stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, ciphertext: str | None) -> str | None:
        """The same secret, encrypted with the first key (decrypted with whichever key fits)."""
        if ciphertext is None:
            return None
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("a stored secret cannot be decrypted with the configured keys") from exc
