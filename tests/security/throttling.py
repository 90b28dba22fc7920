"""The configuration of an app whose login throttling is on (the test suite runs with it
off), shared by the tests and the second-worker process."""
from __future__ import annotations

from ..conftest import _config

LIMIT = 3


def limited_config(url: str, storage: str = "memory://", prefix: str = "", **more) -> dict:
    return _config(url) | {
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix, "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": f"{LIMIT} per minute"} | more
