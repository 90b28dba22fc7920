"""Fixtures of the security suite: signed-in clients, an application built under the
production configuration on the test's database, and a free TCP port."""
from __future__ import annotations

import secrets
import socket

import pytest

from referral_flow import create_app
from referral_flow.config import ProductionConfig
from referral_flow.extensions import db as _db


@pytest.fixture
def strong_key() -> str:
    return secrets.token_hex(32)


@pytest.fixture
def production_app(app, db, strong_key):
    """Build ProductionConfig itself on this test's database, with ``overrides`` (a secret
    key given by the environment by default). Its engine is disposed afterwards."""
    made = []

    def build(**overrides):
        # On SQLite every transaction begins IMMEDIATE: end the test's own before the new
        # app's start-up checks read the database.
        db.session.commit()
        config = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
        made.append(create_app(config | {
            "SECRET_KEY": strong_key, "AUDIT_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "memory://"} | overrides))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            _db.engine.dispose()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



@pytest.fixture
def chair(world, db, client, auth):
    """The client signed in as a union chair of unit_a (whose scope excludes side b)."""
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    return world.users["union_chair_a"]


@pytest.fixture
def admin(world, db, client, auth):
    """The client signed in as the administrator."""
    db.session.commit()
    auth.login(world.users["administrator"].username)
    return client
