"""Seal short secrets (authenticator keys) under a key derived from the app's SECRET_KEY.

A database dump alone then yields no authenticator secret. Keys in SECRET_KEY_FALLBACKS
still open what they sealed, so rotating SECRET_KEY locks nobody out; callers re-seal what
``unseal`` reports as stale.
"""
import base64

from flask import current_app

# Its own label, so this key is unrelated to any other use of SECRET_KEY (sessions, codes).
_LABEL = b"twofactor authenticator-app secret"


class SealBroken(Exception):
    """No current or fallback key opens a sealed secret: the keys changed without a fallback."""


def _fernet(secret_key: str | bytes):
    """The Fernet key that HKDF-SHA256 derives from one app secret key."""
    # cryptography is loaded when a secret is first sealed or opened, not by every worker
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(material)
    return Fernet(base64.urlsafe_b64encode(derived))


def _current():
    """The key new secrets are sealed under."""
    return _fernet(current_app.secret_key)


def _fallbacks() -> list:
    """Keys that only open what they sealed before a rotation."""
    return [_fernet(key) for key in current_app.config.get("SECRET_KEY_FALLBACKS") or []]


def seal(text: str) -> str:
    """Encrypt and authenticate ``text`` under the current key; an ASCII token."""
    return _current().encrypt(text.encode()).decode()


def unseal(token: str) -> tuple[str, bool]:
    """The text sealed in ``token``, and whether an older key sealed it (so re-seal it)."""
    from cryptography.fernet import InvalidToken, MultiFernet

    data = token.encode()
    try:
        return _current().decrypt(data).decode(), False
    except InvalidToken:
        pass
    fallbacks = _fallbacks()
    if fallbacks:
        try:
            return MultiFernet(fallbacks).decrypt(data).decode(), True
        except InvalidToken:
            pass
    raise SealBroken("no SECRET_KEY or SECRET_KEY_FALLBACKS key opens this sealed secret")
