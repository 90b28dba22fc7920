"""What the read log costs a page: the union roster and the Party dashboard with and without
it (median time, SQL statements per request), and the auditor's search, on a read log
already holding ``--prefill`` page views of 45 people each.

    python bench/reads.py [--db sqlite|postgresql|both] [--units 3500] [--years 5]
                          [--cases-per-year 3000] [--runs 15] [--prefill 100000] [--quick]

The province and databases are those of bench/reports.py (fresh, migrated, synthetic).
"Without" replaces the log's two writes and its commit by nothing, in the same process.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select, text

from bench.reports import (PARTY, PARTY_ROOT, UPPER, add_user, config, fresh_database,
                           generate, login)
from referral_flow import create_app, read_log
from referral_flow.extensions import db
from referral_flow.models import Member, ReadSubject, Role, User

CHAIR, ADMIN = "chair", "auditor"
PER_VIEW = 45       # people named by one prefilled page view (a roster page)


def prefill(app, views: int) -> float:
    """``views`` roster views by the federation user, each naming 45 members, in two
    INSERT … SELECT statements; the seconds it took."""
    started = time.perf_counter()
    with app.app_context():
        actor = db.session.scalar(select(func.min(User.id)))
        members = db.session.scalar(select(func.count(Member.id)))
        db.session.execute(text("""
            INSERT INTO read_event (at, actor_id, endpoint, filters, rows)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :views)
            SELECT :at, :actor, 'members.index', '{}', :per FROM n"""),
            {"views": views, "at": "2026-01-01 00:00:00", "actor": actor, "per": PER_VIEW})
        db.session.execute(text("""
            INSERT INTO read_subject (kind, subject_id, read_event_id)
            WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < :last)
            SELECT 'member', ((e.id * :per + k.j) % :members) + 1, e.id
            FROM read_event e CROSS JOIN k"""),
            {"last": PER_VIEW - 1, "per": PER_VIEW, "members": members})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


@contextmanager
def without_read_log():
    with mock.patch.object(read_log.reads, "record", return_value=0), \
            mock.patch.object(read_log, "commit_keeping_loaded"):
        yield


def timed(app, client, target: str, runs: int) -> tuple[float, int, int]:
    """(median ms, SQL statements of the last request, its status)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    client.get(target)      # warm-up
    event.listen(engine, "before_cursor_execute", count)
    try:
        times = []
        for _ in range(runs):
            seen.clear()
            started = time.perf_counter()
            response = client.get(target)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), len(seen), response.status_code


def bench(kind: str, args) -> int:
    print(f"\n== {kind}: {args.units} CĐCS, {args.years} years x {args.cases_per_year} cases, "
          f"{args.runs} runs, read log prefilled with {args.prefill:,} views ==")
    errors = 0
    with fresh_database(kind) as db_url:
        app = create_app(config(db_url))
        try:
            values = generate(app, args.units, args.years, args.cases_per_year)
            with app.app_context():
                # A chair over an upper union: his roster pages through all its CĐCS'
                # members, 50 a page, the widest roster page there is.
                add_user(CHAIR, Role.union_chair, values[UPPER])
                add_user(ADMIN, Role.administrator, None)
                db.session.commit()
            took = prefill(app, args.prefill)
            with app.app_context():
                links = db.session.scalar(select(func.count()).select_from(ReadSubject))
            print(f"read log prefilled in {took:.1f} s: {links:,} read_subject rows")
            clients = {who: login(app, who) for who in (PARTY, CHAIR, ADMIN)}
            pages = [("roster, first page (50 members)", CHAIR, "/members/"),
                     ("Party dashboard, province", PARTY,
                      f"/reports/party?node={values[PARTY_ROOT]}")]
            print(f"{'page':<34} {'read log':>9} {'median ms':>9} {'SQL':>5} {'status':>6}")
            for label, who, target in pages:
                for logged in (False, True):
                    if logged:
                        ms, sql, status = timed(app, clients[who], target, args.runs)
                    else:
                        with without_read_log():
                            ms, sql, status = timed(app, clients[who], target, args.runs)
                    errors += status != 200
                    print(f"{label:<34} {'on' if logged else 'off':>9} {ms:>9.1f} {sql:>5} "
                          f"{status:>6}")
            with app.app_context():
                citizen = db.session.scalar(select(Member.citizen_id).where(Member.id == 7))
            ms, sql, status = timed(app, clients[ADMIN], f"/admin/reads?person={citizen}",
                                    args.runs)
            errors += status != 200
            print(f"{'auditor: who saw member 7':<34} {'on':>9} {ms:>9.1f} {sql:>5} {status:>6}")
        finally:
            with app.app_context():
                db.engine.dispose()
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--cases-per-year", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true",
                        help="40 CĐCS, 2 years x 60 cases, 3 runs, 1,000 views: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.years, args.cases_per_year, args.runs, args.prefill = 40, 2, 60, 3, 1000
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    errors = sum(bench(kind, args) for kind in kinds)
    print(f"\n{errors} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
