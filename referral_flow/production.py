"""What the production configuration refuses to start with (F-3.8, F-10.1): a weak secret
key, or a database that holds the demo province or a demo account with its published
password. The checks run once, when the application is built (gunicorn's master with
``preload_app``, or each ``flask`` command), never per request."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Organisation, User

SHORTEST_KEY = 32
# Keys seen in this project's code, docs and examples: whatever their length, never secret.
KNOWN_KEYS = frozenset({"dev-only-not-secret", "testing", "x", "secret", "changeme",
                        "change-me", "...", "dev-only-audit-key-not-secret-0000",
                        "testing-audit-key-not-secret-00000"})
# A long key made of a few characters repeated ("aaaa…", "abab…") is no key either.
FEWEST_DISTINCT = 10


class UnsafeProduction(RuntimeError):
    """The production configuration found something it must not serve."""


def key_problem(key: str | bytes | None, name: str = "SECRET_KEY") -> str | None:
    """Why ``key`` is not a production key (``name``: SECRET_KEY, AUDIT_KEY), or None when
    it is fit."""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if not key or key in KNOWN_KEYS:
        return f"{name} is missing or a known public value"
    if len(key) < SHORTEST_KEY:
        return f"{name} is shorter than {SHORTEST_KEY} characters"
    if len(set(key)) < FEWEST_DISTINCT:
        return f"{name} repeats too few characters"
    return None


def demo_problems() -> list[str]:
    """The demo data this database holds: the demo province's marker, which `demo load`
    writes with the rest, and any account bearing a demo username that still opens with the
    published demo password.

    Only the accounts named like the demo's (at most nine) have their password tried: a
    production administrator may well be called ``admin``, and one PBKDF2 check costs about
    0.7 s at 600,000 rounds, so trying every account's hash would slow each start by minutes
    on a province's users. A demo password given to another name is refused when it is set
    (password strength), not here."""
    from .demo import ACCOUNTS, COMMUNE_CHAIR, DEMO_PASSWORD, MARKER
    tables = set(inspect(db.engine).get_table_names())
    if not {Organisation.__tablename__, User.__tablename__} <= tables:
        return []        # an empty database, before `flask db upgrade`
    problems = []
    if db.session.scalar(select(Organisation.id).where(Organisation.code == MARKER)):
        problems.append(f"the database holds the demo province (organisation {MARKER}); "
                        "serve a database that `flask demo load` never touched")
    names = [username for username, *_ in ACCOUNTS] + [COMMUNE_CHAIR[0]]
    opened = [user.username for user in db.session.scalars(
        select(User).where(User.username.in_(names)).order_by(User.username))
        if user.check_password(DEMO_PASSWORD)]
    if opened:
        problems.append(f"these accounts have the published demo password: {', '.join(opened)}")
    return problems


def jobs_problem(config) -> str | None:
    """Jobs run on RQ (REDIS_URL) or, for a one-process installation, in a thread; never in
    the request (a long import would outlast the proxy's timeout)."""
    mode = config.get("JOBS_MODE")
    if mode == "rq" and not config.get("REDIS_URL"):
        return "JOBS_MODE is rq but REDIS_URL is not set"
    if mode not in ("rq", "thread"):
        return f"JOBS_MODE must be rq or thread, not {mode!r}"
    return None


def register(app: Flask) -> None:
    if not app.config.get("PRODUCTION"):
        return
    problems = [p for p in (key_problem(app.config.get("SECRET_KEY")),
                            key_problem(app.config.get("AUDIT_KEY"), "AUDIT_KEY"),
                            jobs_problem(app.config)) if p]
    with app.app_context():
        try:
            problems += demo_problems()
        except SQLAlchemyError as error:
            raise UnsafeProduction(
                "cannot check the database for demo data; is DATABASE_URL reachable? "
                f"({type(error).__name__})") from error
        finally:
            db.session.remove()
            # No connection opened here may be inherited by gunicorn's forked workers.
            db.engine.dispose()
    if problems:
        raise UnsafeProduction("refusing to start under REFERRAL_FLOW_ENV=production: "
                               + "; ".join(problems) + ".")
