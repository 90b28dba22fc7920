"""WSGI entry of the measuring script (bench/national.py): the production configuration with
rate limiting off, plain-HTTP cookies (loopback), and an ``X-SQL-Count`` response header.

    BENCH_DATABASE_URL=... BENCH_SECRET_KEY=... gunicorn -w 2 bench.serve:app

The header counts the statements of one request: a ``before_cursor_execute`` listener on the
engine, reset before each request (sync workers serve one request at a time)."""
from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event

from referral_flow import create_app
from referral_flow.config import ProductionConfig
from referral_flow.extensions import db

# The audit chain's HMAC key of the bench databases (not a secret: synthetic data only).
AUDIT_KEY = os.environ.get("BENCH_AUDIT_KEY", "bench-audit-key-" + "0" * 32)


def config(url: str, secret_key: str) -> dict:
    return {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "AUDIT_KEY": AUDIT_KEY,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False}


def count_statements(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    seen = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args, **_kwargs):
        seen[0] += 1

    @app.before_request
    def _reset():
        seen[0] = 0

    @app.after_request
    def _header(response):
        response.headers["X-SQL-Count"] = str(seen[0])
        return response


def build() -> Flask:
    app = create_app(config(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_SECRET_KEY"]))
    count_statements(app)
    return app


app = build() if os.environ.get("BENCH_DATABASE_URL") else None
