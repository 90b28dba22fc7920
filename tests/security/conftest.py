"""Signed-in clients of the security tests."""
from __future__ import annotations

import pytest


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
