"""Secrets at rest: chat tokens, connector credentials and OAuth secrets are Fernet-encrypted.

Keys come from TANDEM_SECRET_KEYS (comma-separated Fernet keys, newest first). MultiFernet decrypts with
any of them and encrypts with the first, so rotation is: put a new key first, run `tandem keys rotate`,
then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Settings


class SecretsUnavailable(RuntimeError):
    """A secret must be stored or read but no key is configured (or none of the keys fits)."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretsUnavailable(
                "TANDEM_SECRET_KEYS is not set: generate one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            )
        try:
            self._keys = [Fernet(k.strip().encode()) for k in keys]
            self._fernet = MultiFernet(self._keys)
        except ValueError as exc:
            raise SecretsUnavailable(f"TANDEM_SECRET_KEYS holds an invalid Fernet key: {exc}") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        raw = settings.secret_keys.get_secret_value() if settings.secret_keys else ""
        return cls([k for k in raw.split(",") if k.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretsUnavailable("a stored secret cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt with the newest key (what `tandem keys rotate` applies to every stored secret)."""
        return self._fernet.rotate(token.encode()).decode()

    def key_index(self, token: str) -> int | None:
        """Which key of TANDEM_SECRET_KEYS the token is encrypted with (0: the newest), None if none fits.
        Fernet tokens carry no key id, so each key is tried."""
        for index, key in enumerate(self._keys):
            try:
                key.decrypt(token.encode())
            except InvalidToken:
                continue
            return index
        return None
