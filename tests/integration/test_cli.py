"""Flask commands: demo load, users create, audit verify; production password strength."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from referral_flow import create_app
from referral_flow.cli import users_create
from referral_flow.config import ProductionConfig, TestingConfig
from referral_flow.demo import DEMO_PASSWORD, EXAMPLE_INTRODUCED
from referral_flow.extensions import db as _db
from referral_flow.services import second_factor
from referral_flow.models import (AuditEvent, Case, Member, Organisation, Role, RoleGrant,
                                  User)
from referral_flow.workflow.states import STATES

COUNTED = (Organisation, Member, Case, User, RoleGrant, AuditEvent)
STRONG = "a long enough passphrase"


def _counts(db) -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def _testing_config(app) -> dict:
    """TestingConfig as conftest's _config builds it, on this test's database."""
    return {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}


def _production_config(app) -> dict:
    """ProductionConfig itself, with the secret and URL the environment would give it."""
    return {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()} | {
        "SECRET_KEY": secrets.token_hex(32), "AUDIT_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "memory://"}


CONFIGS = {
    "demo_disallowed": lambda app: _testing_config(app) | {"DEMO_ALLOWED": False},
    "production": _production_config,
}


@pytest.fixture
def other_app(app, db):
    """Build a second app on the same database; its engine is disposed afterwards."""
    made = []

    def build(kind: str):
        made.append(create_app(CONFIGS[kind](app)))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def _invoke(app, *args, input=None):
    # Flask's with_appcontext reuses whatever app context is current (the fixture's), so
    # push the target app's own context: the command then sees that app's configuration
    # and its own session, as it would from a shell. End the test's own transaction first:
    # on SQLite every transaction begins IMMEDIATE, so an open one would lock the command out.
    _db.session.commit()
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


# --- demo load --------------------------------------------------------------------------

@pytest.fixture
def demo(app, db):
    result = _invoke(app, "demo", "load")
    assert result.exit_code == 0, result.output
    return result


def test_demo_load_builds_the_province(demo, db):
    counts = _counts(db)
    # ~200 members and ~60 hand-made cases, plus the example year's generated cases (one
    # member each): EXAMPLE_INTRODUCED less the few hand-made cases nominated that year.
    generated = EXAMPLE_INTRODUCED - 10, EXAMPLE_INTRODUCED
    assert 180 + generated[0] <= counts["Member"] <= 220 + generated[1], counts
    assert 50 + generated[0] <= counts["Case"] <= 70 + generated[1], counts
    states = set(db.session.scalars(select(Case.state).distinct()))
    assert states == set(STATES), set(STATES) - states
    roles = db.session.execute(select(RoleGrant.role, func.count(func.distinct(
        RoleGrant.user_id))).group_by(RoleGrant.role)).all()
    # one account per role, and the commune union's chair (workers without a CĐCS)
    assert dict(roles) == {role: 2 if role == Role.union_chair else 1 for role in Role}
    # The member account is linked to a person who has a case.
    member_user = db.session.scalar(
        select(User).join(RoleGrant).where(RoleGrant.role == Role.member))
    assert member_user.member_id is not None
    assert db.session.scalar(select(func.count(Case.id)).where(
        Case.member_id == member_user.member_id)) >= 1


def test_demo_load_makes_the_second_factor_optional_and_says_so(demo, db):
    """The demo is tried without an authenticator app (F-3.3's policy is for production)."""
    assert "second factor (MFA): optional for every role" in demo.output
    assert not any(second_factor.policy().values())


def test_demo_load_is_idempotent(demo, app, db):
    before = _counts(db)
    again = _invoke(app, "demo", "load")
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    db.session.expire_all()
    assert _counts(db) == before


def test_audit_verify_passes_after_demo_load(demo, app, db):
    result = _invoke(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"{_counts(db)['AuditEvent']} events" in result.output


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_demo_load_refused_in_production(app, db, other_app, kind):
    prod = other_app(kind)
    assert prod.config["DEMO_ALLOWED"] is False
    before = _counts(db)
    result = _invoke(prod, "demo", "load")
    assert result.exit_code != 0
    assert "refused" in result.output
    assert _counts(db) == before == {m.__name__: 0 for m in COUNTED}


# --- users create -----------------------------------------------------------------------

def _create_input(username="hoa.nguyen", full_name="Nguyễn Thị Hoa", role="union_chair",
                  org="CDCS-a", password=STRONG, repeat=None) -> str:
    return "\n".join([username, full_name, role, org, password,
                      password if repeat is None else repeat]) + "\n"


def _user(db, username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_no_account_exists_after_migrations_alone(app, db):
    # The test database is the real migrations and nothing else: no default accounts,
    # hence no default (demo) password can ever work on a fresh production install.
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert DEMO_PASSWORD not in {str(getattr(ProductionConfig, k))
                                 for k in dir(ProductionConfig) if k.isupper()}
    password = next(p for p in users_create.params if p.name == "password")
    # No default (None, or click's UNSET sentinel from 8.3), always prompted, never echoed.
    assert not isinstance(password.default, str)
    assert password.prompt and password.hide_input


def test_production_has_no_user_until_users_create(app, db, other_app):
    prod = other_app("production")
    assert db.session.scalar(select(func.count(User.id))) == 0
    result = _invoke(prod, "users", "create",
                     input=_create_input("admin.tinh", "Quản trị", "administrator", ""))
    assert result.exit_code == 0, result.output
    created = _user(db, "admin.tinh")
    assert created is not None
    assert created.password_hash.startswith(ProductionConfig.PASSWORD_HASH_METHOD + "$")
    assert created.check_password(STRONG) and not created.check_password(STRONG + "x")
    assert [(g.role, g.org_id) for g in created.grants] == [(Role.administrator, None)]


def test_users_create_with_prompts(world, app, db):
    result = _invoke(app, "users", "create", input=_create_input())
    assert result.exit_code == 0, result.output
    created = _user(db, "hoa.nguyen")
    assert created.full_name == "Nguyễn Thị Hoa"
    assert created.password_hash.split("$")[0].split(":")[0] in ("pbkdf2", "scrypt")
    assert STRONG not in created.password_hash
    assert created.check_password(STRONG)
    assert [(g.role, g.org_id) for g in created.grants] == [(Role.union_chair,
                                                             world["unit_a"].id)]


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_users_create_refuses_short_passwords(world, app, db, password):
    result = _invoke(app, "users", "create", input=_create_input(password=password))
    assert result.exit_code != 0
    assert _user(db, "hoa.nguyen") is None


def test_users_create_refuses_duplicate_usernames(world, app, db):
    assert _invoke(app, "users", "create", input=_create_input()).exit_code == 0
    first_hash = _user(db, "hoa.nguyen").password_hash
    again = _invoke(app, "users", "create",
                    input=_create_input(full_name="Someone Else", password=STRONG + "!"))
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert db.session.scalar(select(func.count(User.id)).where(
        User.username == "hoa.nguyen")) == 1
    assert _user(db, "hoa.nguyen").password_hash == first_hash


# --- password hashing strength ----------------------------------------------------------

def meets_hash_bar(method: str) -> bool:
    """pbkdf2 with SHA-256/512 and at least 600,000 rounds, or scrypt with N >= 2**17.

    Werkzeug's method strings: ``pbkdf2:<hash>:<rounds>`` and ``scrypt:<n>:<r>:<p>``.
    Implicit defaults do not count: the figures must be written down.
    """
    parts = method.split(":")
    try:
        if parts[0] == "pbkdf2" and len(parts) == 3:
            return parts[1] in ("sha256", "sha512") and int(parts[2]) >= 600_000
        if parts[0] == "scrypt" and len(parts) == 4:
            n, r, p = map(int, parts[1:])
            return n >= 2 ** 17 and r >= 8 and p >= 1
    except ValueError:
        return False
    return False


@pytest.mark.parametrize("method, ok", [
    ("pbkdf2:sha256:600000", True), ("pbkdf2:sha512:1000000", True),
    ("scrypt:131072:8:1", True), ("pbkdf2:sha256:599999", False), ("pbkdf2:sha1:900000", False),
    ("pbkdf2:sha256", False), ("scrypt:32768:8:1", False), ("scrypt", False),
    ("pbkdf2:sha256:lots", False), ("plain", False),
])
def test_hash_bar_parser(method, ok):
    assert meets_hash_bar(method) is ok


def test_production_password_hashing_meets_the_bar():
    assert meets_hash_bar(ProductionConfig.PASSWORD_HASH_METHOD), \
        ProductionConfig.PASSWORD_HASH_METHOD
