"""Report and export pages at province scale: median time, SQL statements, status, size.

    python bench/reports.py [--db sqlite|postgresql|both] [--units 3500] [--years 5]
                            [--cases-per-year 3000] [--runs 7] [--quick]

Each database is fresh (SQLite: a temporary file; PostgreSQL: ``rf_bench`` on
``BENCH_PG_URL``, dropped at the end), built by the real migrations and filled by
``referral_flow.synthetic``. Two staff users log in through the login form, as a browser
would, and request every page of ``PAGES`` once to warm up, then ``--runs`` times.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import url_for
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.routing import BuildError

from referral_flow import create_app, clock
from referral_flow.config import TestingConfig
from referral_flow.extensions import db
from referral_flow.services.second_factor import make_optional_for_all
from referral_flow.models import (
    AuditEvent, AwarenessClass, Case, Document, Enrolment, Member, Organisation, PartyMember, Role,
    RoleGrant, Target, UnionKind, User, Vote)

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "rf_bench"
PASSWORD = "bench-only-password"
FED, PARTY = "federation", "party"
# Placeholders in the arguments, resolved against the generated province.
MIDDLE, LATEST, FULL, PARTY_ROOT, UPPER = ("<middle year>", "<latest year>",
                                           "<latest full year>", "<party root>", "<upper union>")

# (label, user, endpoint, arguments): extend here.
PAGES = [
    ("cases: list, first page", FED, "cases.index", {}),
    ("cases: export csv", FED, "cases.export", {"format": "csv"}),
    ("cases: export xlsx", FED, "cases.export", {"format": "xlsx"}),
    ("cohort: middle year", FED, "reports.cohort", {"year": MIDDLE}),
    ("cohort: latest year", FED, "reports.cohort", {"year": LATEST}),
    ("cohort: export xlsx", FED, "reports.cohort_export", {"format": "xlsx", "year": FULL}),
    ("party dashboard: province", PARTY, "reports.party", {"node": PARTY_ROOT}),
    ("party dashboard: export xlsx", PARTY, "reports.party_export",
     {"format": "xlsx", "node": PARTY_ROOT}),
    ("achievement: year", FED, "reports.achievement", {"year": FULL}),
    ("achievement: quarter 2", FED, "reports.achievement", {"year": FULL, "quarter": 2}),
    ("achievement: upper union", FED, "reports.achievement", {"year": FULL, "node": UPPER}),
    ("achievement: export csv", FED, "reports.achievement_export",
     {"format": "csv", "year": FULL}),
    ("achievement: export xlsx", FED, "reports.achievement_export",
     {"format": "xlsx", "year": FULL}),
    ("workflow: federation", FED, "workflow_view.index", {}),
    ("workflow: party", PARTY, "workflow_view.index", {}),
    ("inbox: federation", FED, "inbox.index", {}),
    ("inbox: party", PARTY, "inbox.index", {}),
    ("targets", FED, "targets.index", {}),
]
COUNTED = [Organisation, Member, PartyMember, Case, AuditEvent, Document, Vote, AwarenessClass,
           Enrolment, Target]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Result:
    label: str
    median_ms: float | None = None
    statements: int | None = None
    status: int | None = None
    size: int | None = None

    @property
    def error(self) -> bool:
        return self.status is not None and self.status != 200

    def line(self) -> str:
        if self.status is None:
            return f"{self.label:<32} not available"
        flag = "  ERROR" if self.error else ""
        return (f"{self.label:<32} {self.median_ms:>9.1f} {self.statements:>6} {self.status:>6} "
                f"{self.size:>11}{flag}")


def config(url: str) -> dict:
    """The testing configuration (fast password hashing, CSRF on, no rate limit); a page that
    raises answers 500, as in production, instead of stopping the run. The case-list
    exports are timed inline whatever their length (above EXPORT_INLINE_ROWS the app queues
    them instead: bench/export_jobs.py times that)."""
    return {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_EXCEPTIONS": False,
        "EXPORT_INLINE_ROWS": 10**9}


@contextmanager
def fresh_database(kind: str, name: str = PG_NAME):
    """A URL to an empty database, removed afterwards (PostgreSQL: ``name``)."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rf_bench_")
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


def generate(app, units: int, years: int, cases_per_year: int) -> dict:
    """Schema, province and the two users; returns the placeholders' values."""
    from flask_migrate import upgrade
    from referral_flow.synthetic import generate_province
    with app.app_context():
        upgrade()
        today = clock.today()
        span = list(range(today.year - years + 1, today.year + 1))
        started = time.perf_counter()
        province = generate_province(units=units, years=span, cases_per_year=cases_per_year,
                                     today=today)
        db.session.commit()
        took = time.perf_counter() - started
        # Planner statistics, as autovacuum keeps them on a live database: without them
        # PostgreSQL plans the freshly loaded tables as if they were empty.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        counts = ", ".join(f"{m.__tablename__} {db.session.scalar(select(func.count(m.id))):,}"
                           for m in COUNTED)
        print(f"generated in {took:.1f} s: {counts}")
        add_user(FED, Role.federation_officer, province.federation_id)
        add_user(PARTY, Role.party_officer, province.party_root_id)
        make_optional_for_all()         # the bench times pages, not the sign-in's second step
        upper = db.session.scalar(select(Organisation.id).where(
            Organisation.parent_id == province.federation_id,
            Organisation.kind == UnionKind.upper.value).order_by(Organisation.id).limit(1))
        db.session.commit()
        return {MIDDLE: span[len(span) // 2], LATEST: span[-1], FULL: today.year - 1,
                PARTY_ROOT: province.party_root_id, UPPER: upper}


def add_user(username: str, role: Role, org_id: int) -> None:
    user = User(username=username, full_name=username)
    user.set_password(PASSWORD)
    user.grants.append(RoleGrant(role=role, org_id=org_id, valid_from=clock.today().replace(
        year=2000)))
    db.session.add(user)


def login(app, username: str):
    client = app.test_client()
    page = client.get("/login").text
    m = CSRF.search(page)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": m.group(1) or m.group(2)})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def url(app, endpoint: str, args: dict, values: dict) -> str | None:
    if endpoint not in app.view_functions:
        return None
    with app.test_request_context():
        try:
            return url_for(endpoint, **{k: values.get(v, v) for k, v in args.items()})
        except BuildError:
            return None


def measure(app, clients: dict, values: dict, runs: int) -> list[Result]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        results = []
        for label, who, endpoint, args in PAGES:
            target = url(app, endpoint, args, values)
            result = Result(label)
            if target is not None:
                clients[who].get(target)        # warm-up
                times = []
                for _ in range(runs):
                    seen.clear()
                    started = time.perf_counter()
                    response = clients[who].get(target)
                    times.append((time.perf_counter() - started) * 1000)
                result = Result(label, statistics.median(times), len(seen),
                                response.status_code, len(response.data))
            print(result.line(), flush=True)
            results.append(result)
        return results
    finally:
        event.remove(engine, "before_cursor_execute", count)


def bench(kind: str, args) -> list[Result]:
    print(f"\n== {kind}: {args.units} CĐCS, {args.years} years x {args.cases_per_year} cases, "
          f"{args.runs} runs ==")
    with fresh_database(kind) as db_url:
        app = create_app(config(db_url))
        try:
            values = generate(app, args.units, args.years, args.cases_per_year)
            clients = {who: login(app, who) for who in (FED, PARTY)}
            print(f"{'report':<32} {'median ms':>9} {'SQL':>6} {'status':>6} {'bytes':>11}")
            return measure(app, clients, values, args.runs)
        finally:
            with app.app_context():
                db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--cases-per-year", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="40 CĐCS, 2 years x 60 cases, 1 run: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.years, args.cases_per_year, args.runs = 40, 2, 60, 1
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    errors = sum(r.error for kind in kinds for r in bench(kind, args))
    print(f"\n{errors} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
