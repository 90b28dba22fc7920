"""Small secrets the application must read back (TOTP secrets), encrypted with a key the
database never holds: a copy of the database alone does not give anyone's codes.

AES-256-GCM (the ``cryptography`` package) with a random 96-bit nonce per value. The key
is derived (HMAC-SHA256, one key per purpose) from ``MFA_KEY`` in the environment, or from
``SECRET_KEY`` when that is unset.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

VERSION = "s2:"
NONCE = 12
# Bound to the purpose: a value sealed for something else does not open as a TOTP secret.
CONTEXT = b"referral_flow totp secret"


class SealBroken(Exception):
    """The sealed value was altered, or sealed with another key."""


def _cipher() -> AESGCM:
    main = current_app.config.get("MFA_KEY") or current_app.config["SECRET_KEY"]
    key = hmac.new(main.encode(), b"referral_flow sealed aes-gcm", hashlib.sha256).digest()
    return AESGCM(key)


def seal(text: str) -> str:
    nonce = secrets.token_bytes(NONCE)
    sealed = nonce + _cipher().encrypt(nonce, text.encode(), CONTEXT)
    return VERSION + base64.urlsafe_b64encode(sealed).decode()


def unseal(sealed: str) -> str:
    if not sealed.startswith(VERSION):
        raise SealBroken(sealed[:3])
    raw = base64.urlsafe_b64decode(sealed[len(VERSION):])
    try:
        return _cipher().decrypt(raw[:NONCE], raw[NONCE:], CONTEXT).decode()
    except InvalidTag as err:
        raise SealBroken("tag") from err
