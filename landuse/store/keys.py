"""API keys: the key format, the scrypt hash of a secret, new keys and roles.

A key reads ``lu_<key_id>_<secret>``; the store keeps the key id, the role, a random salt
and the scrypt hash of the secret, never the secret itself.
"""

from __future__ import annotations

import hashlib
import secrets

from landuse.errors import SchemaError

__all__ = ["ROLES", "SCRYPT_PARAMS", "hash_secret", "new_key", "split_key"]

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
