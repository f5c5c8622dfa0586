"""Encryption of secrets at rest (agent keys, relay keys, client secrets, webhook secrets).

Keys come from the environment as a comma-separated list of Fernet keys: the first encrypts,
all of them decrypt, so a key is rotated by putting the new one first and running
``pms-sync secrets rotate`` (``Store.rotate_secrets``), which re-encrypts every stored secret
with it; the old key can then be removed.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

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
