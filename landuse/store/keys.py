"""API keys: the key format, the scrypt hash of a secret, new keys and roles.

A key reads ``lu_<key_id>_<secret>``; the store keeps the key id, the role, a random salt
and the scrypt hash of the secret, never the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from landuse.errors import SchemaError

__all__ = ["ROLES", "SCRYPT_PARAMS", "SecretCheck", "hash_secret", "new_key", "split_key"]

ROLES = ("viewer", "editor")
SCRYPT_PARAMS = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
"""scrypt cost parameters of a key's hash (N=2^14, r=8, p=1, 32 bytes)."""


def hash_secret(secret: str, salt: bytes) -> bytes:
    """scrypt (N=2^14, r=8, p=1) of an API key secret."""
    return hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT_PARAMS)


def split_key(key: str) -> tuple[str, str] | None:
    """``lu_<key_id>_<secret>`` -> (key_id, secret), None when malformed."""
    if not key.startswith("lu_") or key.count("_") < 2:
        return None
    _, key_id, secret = key.split("_", 2)
    if not key_id or not secret or len(key) > 200:
        return None
    return key_id, secret


def new_key(role: str) -> tuple[str, str, bytes, bytes]:
    """A new key for ``role``: (key_id, the key to show once, salt, hash of the secret)."""
    if role not in ROLES:
        raise SchemaError(f"role: '{role}' is not a role. Fix: use editor or viewer.")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24).replace("_", "-")
    salt = secrets.token_bytes(16)
    return key_id, f"lu_{key_id}_{secret}", salt, hash_secret(secret, salt)


class SecretCheck:
    """Checks a key's secret against its stored salt and hash; a secret found valid is
    remembered (by its SHA-256) so that a client's next request skips the scrypt."""

    def __init__(self) -> None:
        self._valid: set[tuple[str, bytes]] = set()
        self._lock = threading.Lock()

    def check(self, key_id: str, secret: str, salt: bytes, digest: bytes) -> bool:
        """True when ``secret`` hashes to ``digest`` with ``salt``."""
        fp = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            if (key_id, fp) in self._valid:
                return True
        ok = hmac.compare_digest(hash_secret(secret, bytes(salt)), bytes(digest))
        if ok:
            with self._lock:
                self._valid.add((key_id, fp))
        return ok
