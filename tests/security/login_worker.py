"""A second gunicorn-like worker for the throttling test: its own process and its own app
on the test's database and limiter storage; sends wrong passwords and prints the codes.

    python -m tests.security.login_worker DATABASE_URL STORAGE_URI KEY_PREFIX USERNAME N
"""
from __future__ import annotations

import sys

from referral_flow import create_app

from .throttling import limited_config


def main(url: str, storage: str, prefix: str, username: str, attempts: str) -> None:
    app = create_app(limited_config(url, storage, prefix))
    client = app.test_client()
    codes = [client.post("/login", data={"username": username, "password": "wrong password!"},
                         environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code
             for _ in range(int(attempts))]
    print(" ".join(map(str, codes)))


if __name__ == "__main__":
    main(*sys.argv[1:])
