"""Small secrets the application must read back (TOTP secrets), encrypted with a key the
database never holds: a copy of the database alone does not give anyone's codes.

The key is ``MFA_KEY`` from the environment, or one derived from ``SECRET_KEY``. The
construction is the textbook one for a message no longer than a PRF output: a random
16-byte nonce, the text XORed with HMAC-SHA256(key, nonce), then an HMAC-SHA256 tag over
nonce and ciphertext (encrypt-then-MAC, one key per purpose derived from the main key).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

VERSION = "s1:"
NONCE, TAG, LONGEST = 16, 16, 32


class SealBroken(Exception):
    """The sealed value was altered, or sealed with another key."""


def _key(purpose: bytes) -> bytes:
    main = current_app.config.get("MFA_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(main.encode(), b"referral_flow sealed " + purpose, hashlib.sha256).digest()


def seal(text: str) -> str:
    plain = text.encode()
    if len(plain) > LONGEST:
        raise ValueError("only secrets of at most 32 bytes are sealed")
    nonce = secrets.token_bytes(NONCE)
    stream = hmac.new(_key(b"stream"), nonce, hashlib.sha256).digest()
    body = nonce + bytes(a ^ b for a, b in zip(plain, stream, strict=False))
    tag = hmac.new(_key(b"tag"), body, hashlib.sha256).digest()[:TAG]
    return VERSION + base64.urlsafe_b64encode(body + tag).decode()


def unseal(sealed: str) -> str:
    if not sealed.startswith(VERSION):
        raise SealBroken(sealed[:3])
    raw = base64.urlsafe_b64decode(sealed[len(VERSION):])
    body, tag = raw[:-TAG], raw[-TAG:]
    if not hmac.compare_digest(hmac.new(_key(b"tag"), body, hashlib.sha256).digest()[:TAG], tag):
        raise SealBroken("tag")
    nonce, cipher = body[:NONCE], body[NONCE:]
    stream = hmac.new(_key(b"stream"), nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=False)).decode()
