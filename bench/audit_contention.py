"""Contention on the audit chain's lock: transitions fired by P processes at once, each on
cases of its own, with the chain's advisory lock and without it.

    python bench/audit_contention.py [--db URL] [--procs 1,2,4,8,16] [--readers 0]
                                     [--seconds 10] [--rounds 2] [--modes locked,unlocked]
                                     [--units 500] [--years 2] [--cases-per-year 2000]
                                     [--json OUT] [--quick]

Without --db the database is fresh (``rf_audit_bench`` on ``BENCH_PG_URL``, dropped at the
end), built as bench/reports.py builds its own: the real migrations and a synthetic province.
With --db a database is reused (built first when it has no cases); the bench changes its
cases and appends to its chain. The unlocked runs work on a copy of it (``<name>_unlocked``,
``CREATE DATABASE … TEMPLATE``, dropped at the end), so that both modes interleave, round by
round and P by P (a shared machine's load drifts), and the chain the locked runs wrote is
verified alone.

Each configuration starts P transition processes (and R reader processes), each with its
own app and engine; they connect, wait for one another, then work for --seconds. A
transition process fires ``extend_decision`` on its own share of the ``decision_pending``
cases (services.transitions.fire, permission checks off), one committed transaction per
transition, and re-arms its share (``decision_extended = false``, one UPDATE) before each
pass over it, so that a few hundred cases serve any run. A reader logs page views as a staff
page does (services.reads.record, 45 members a view, commit): no chain lock.

"lock wait" is the time of the chain lock's own statement (``pg_advisory_xact_lock``,
timed by cursor events); "hold" runs from its return to the end of the commit: the serial
section of the chain, whose mean bounds one chain's rate (1000 / hold ms per second).
"unlocked" rewrites that statement into one of the same round trip without the lock
(``SELECT abs(k)``): the cost of the lock, and a chain that may fork. At the end each
database's chain is checked with services.audit.verify (as ``flask audit verify``): the
locked one must pass (the exit status says so); the unlocked one's forks are counted.
The table gives each figure's median over the rounds.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench.reports import PG_URL, config, fresh_database, generate
from bench.tables import markdown, num, percentile
from referral_flow import create_app
from referral_flow.extensions import db
from referral_flow.models import AuditEvent, Case, Member, User
from referral_flow.services import audit, reads
from referral_flow.services.transitions import fire
from referral_flow.workflow.errors import WorkflowError

PG_NAME = "rf_audit_bench"
TRIGGER = "extend_decision"
REASON = "Chờ kết quả thẩm tra lý lịch (bench)."
LOCK_SQL = "pg_advisory_xact_lock"
PER_VIEW = 45           # members named by one logged page view (a roster page)
LOCKED, UNLOCKED = "locked", "unlocked"


class LockWatch:
    """Times the chain lock's statement on ``engine``; ``locked=False`` rewrites it into a
    statement of the same round trip that takes no lock."""

    def __init__(self, engine, locked: bool):
        self.locked = locked
        self.started = self.wait = self.acquired = None
        event.listen(engine, "before_cursor_execute", self._before, retval=True)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.started = self.wait = self.acquired = None

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if LOCK_SQL in statement:
            self.started = time.perf_counter()
            if not self.locked:
                statement = statement.replace(LOCK_SQL, "abs")
        return statement, parameters

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.started is not None and self.acquired is None:
            self.acquired = time.perf_counter()
            self.wait = self.acquired - self.started


def _connected(seconds: float, barrier) -> float:
    """Open the connection, wait for every process, return the deadline."""
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    barrier.wait()
    return time.perf_counter() + seconds


def _rearm(ids: list[int]) -> None:
    db.session.execute(update(Case).where(Case.id.in_(ids)).values(decision_extended=False))
    db.session.commit()


def _extend(case_id: int) -> None:
    """One transition in a transaction of its own, committed."""
    case = db.session.get(Case, case_id)
    fire(case, TRIGGER, None, expected_version=case.version, comment=REASON,
         check_permission=False)
    db.session.commit()


def transition_worker(url: str, ids: list[int], locked: bool, seconds: float, barrier,
                      out) -> None:
    app = create_app(config(url))
    result = {"kind": "transitions", "n": 0, "errors": 0, "ms": [], "wait_ms": [],
              "hold_ms": []}
    with app.app_context():
        watch = LockWatch(db.engine, locked)
        _rearm(ids)
        _extend(ids[0])         # warm-up (the first step loads and compiles), not timed
        deadline = _connected(seconds, barrier)
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            _rearm(ids)
            for case_id in ids:
                if time.perf_counter() >= deadline:
                    break
                watch.reset()
                begun = time.perf_counter()
                try:
                    _extend(case_id)
                except (WorkflowError, SQLAlchemyError):      # counted and reported
                    db.session.rollback()
                    result["errors"] += 1
                    continue
                ended = time.perf_counter()
                result["n"] += 1
                result["ms"].append((ended - begun) * 1000)
                result["wait_ms"].append(watch.wait * 1000)
                result["hold_ms"].append((ended - watch.acquired) * 1000)
        result["elapsed"] = time.perf_counter() - started
        db.engine.dispose()
    out.put(result)


def reader_worker(url: str, seed: int, seconds: float, barrier, out) -> None:
    app = create_app(config(url))
    rng = random.Random(seed)
    result = {"kind": "reads", "n": 0, "errors": 0, "ms": []}
    with app.app_context():
        actor = db.session.scalar(select(func.min(User.id)))
        members = list(db.session.scalars(select(Member.id).limit(20_000)))
        deadline = _connected(seconds, barrier)
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            reads.record(actor_id=actor, endpoint="members.index",
                         filters={"page": str(result["n"] % 50 + 1)}, rows=PER_VIEW,
                         members=rng.sample(members, PER_VIEW))
            db.session.commit()
            result["n"] += 1
            result["ms"].append((time.perf_counter() - begun) * 1000)
        result["elapsed"] = time.perf_counter() - started
        db.engine.dispose()
    out.put(result)


def summarise(results: list[dict]) -> dict:
    """One configuration's figures from its processes' results."""
    moves = [r for r in results if r["kind"] == "transitions"]
    views = [r for r in results if r["kind"] == "reads"]
    ms = [x for r in moves for x in r["ms"]]
    wait = [x for r in moves for x in r["wait_ms"]]
    hold = [x for r in moves for x in r["hold_ms"]]
    return {
        "transitions": sum(r["n"] for r in moves), "errors": sum(r["errors"] for r in moves),
        "tps": sum(r["n"] / r["elapsed"] for r in moves),
        "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "wait_p50_ms": percentile(wait, 50), "wait_p95_ms": percentile(wait, 95),
        "wait_share": sum(wait) / sum(ms) if ms else None,
        "hold_mean_ms": statistics.fmean(hold) if hold else None,
        "reads_per_s": sum(r["n"] / r["elapsed"] for r in views) if views else None,
        "read_p95_ms": percentile([x for r in views for x in r["ms"]], 95)}


def run(url: str, pool: list[int], procs: int, readers: int, locked: bool,
        seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(procs + readers + 1), ctx.Queue()
    workers = [ctx.Process(target=transition_worker,
                           args=(url, pool[i::procs], locked, seconds, barrier, out))
               for i in range(procs)]
    workers += [ctx.Process(target=reader_worker, args=(url, i, seconds, barrier, out))
                for i in range(readers)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=300)
        results = [out.get(timeout=seconds + 300) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    return summarise(results) | {"procs": procs, "readers": readers,
                                 "mode": LOCKED if locked else UNLOCKED,
                                 "loadavg": os.getloadavg()[0]}


def chain_check(app) -> dict:
    """``verify``'s verdict, and how many events share the link of another (forks)."""
    with app.app_context():
        report = audit.verify()
        forks = db.session.scalar(select(func.count()).select_from(
            select(AuditEvent.prev_hash).group_by(AuditEvent.prev_hash)
            .having(func.count() > 1).subquery()))
        events = db.session.scalar(select(func.count(AuditEvent.id)))
        db.session.rollback()
    return {"ok": report.ok, "checked": report.checked, "events": events, "forks": forks,
            "bad_event_id": report.bad_event_id, "problem": report.problem}


def pool_of(app) -> list[int]:
    with app.app_context():
        ids = list(db.session.scalars(select(Case.id).where(Case.state == "decision_pending")
                                      .order_by(Case.id)))
        db.session.rollback()
    return ids


@contextmanager
def twin(url: str):
    """A copy of the database at ``url`` for the unlocked runs (their forks stay out of the
    chain the locked runs are verified on), dropped afterwards. Nothing may be connected
    to ``url`` while it is copied."""
    source, name = make_url(url).database, f"{make_url(url).database}_unlocked"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


@contextmanager
def database(args):
    """The URL of a built database: --db (built when it has no cases) or a fresh one."""
    if args.db:
        app = create_app(config(args.db))
        with app.app_context():
            built = inspect(db.engine).has_table("referral_case") and db.session.scalar(
                select(func.count(Case.id)))
            db.session.rollback()
        if not built:
            generate(app, args.units, args.years, args.cases_per_year)
        yield args.db, app
        with app.app_context():
            db.engine.dispose()
        return
    with fresh_database("postgresql", PG_NAME) as url:
        app = create_app(config(url))
        try:
            generate(app, args.units, args.years, args.cases_per_year)
            yield url, app
        finally:
            with app.app_context():
                db.engine.dispose()


FIGURES = ("tps", "p50_ms", "p95_ms", "p99_ms", "wait_p50_ms", "wait_p95_ms", "wait_share",
           "hold_mean_ms", "reads_per_s", "loadavg")


def medians(rows: list[dict]) -> list[dict]:
    """One row per (mode, P, R): each figure's median over the rounds, the errors summed
    and every round's transitions/s kept."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["mode"], row["procs"], row["readers"]), []).append(row)
    merged = []
    for (mode, procs, readers), group in groups.items():
        merged.append({"mode": mode, "procs": procs, "readers": readers,
                       "errors": sum(r["errors"] for r in group),
                       "rounds_tps": [r["tps"] for r in group]} | {
            k: statistics.median(v) if (v := [r[k] for r in group if r[k] is not None])
            else None for k in FIGURES})
    return sorted(merged, key=lambda r: (r["readers"], r["procs"], r["mode"]))


def table(rows: list[dict]) -> str:
    by_key = {(r["procs"], r["readers"], r["mode"]): r for r in rows}
    lines = []
    for r in rows:
        locked = by_key.get((r["procs"], r["readers"], LOCKED))
        ratio = (f"{r['tps'] / locked['tps']:.2f}" if locked and locked["tps"] else "–")
        ceiling = 1000 / r["hold_mean_ms"] if r["hold_mean_ms"] else None
        lines.append([
            r["mode"], r["procs"], r["readers"],
            f"{num(r['tps'])} ({', '.join(num(x, 0) for x in r['rounds_tps'])})",
            f"{num(r['p50_ms'])} / {num(r['p95_ms'])} / {num(r['p99_ms'])}",
            f"{num(r['wait_p50_ms'], 2)} / {num(r['wait_p95_ms'], 2)}",
            "–" if r["wait_share"] is None else f"{r['wait_share']:.0%}",
            f"{num(r['hold_mean_ms'], 2)} ({num(ceiling, 0)}/s)" if r["mode"] == LOCKED
            else "–", ratio, num(r["reads_per_s"]), num(r["errors"]),
            f"{r['loadavg']:.1f}"])
    return markdown(["mode", "P", "R", "transitions/s (each round)", "p50 / p95 / p99 ms",
                     "lock wait p50 / p95 ms", "share of tx in lock wait",
                     "hold mean ms (1 chain ≤)", "tps ÷ locked", "reads/s", "errors",
                     "load 1 min"], lines, [False] + [True] * 11)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="URL of a PostgreSQL database to reuse (built if empty)")
    parser.add_argument("--procs", default="1,2,4,8,16", help="transition processes per run")
    parser.add_argument("--readers", type=int, default=0, help="reader processes per run")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="each mode and P, interleaved")
    parser.add_argument("--modes", default=f"{LOCKED},{UNLOCKED}")
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--cases-per-year", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="save the results here")
    parser.add_argument("--quick", action="store_true", help="P = 1, 2 for 2 s: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.procs, args.seconds, args.rounds = "1,2", 2, 1
    args.procs = [int(p) for p in args.procs.split(",")]
    args.modes = [m for m in (LOCKED, UNLOCKED) if m in args.modes.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with database(args) as (url, app):
        pool = pool_of(app)
        if len(pool) < max(args.procs):
            print(f"only {len(pool)} decision_pending cases for {max(args.procs)} processes",
                  file=sys.stderr)
            return 1
        with app.app_context():
            settings = {name: db.session.scalar(text(f"SHOW {name}")) for name in
                        ("server_version", "synchronous_commit", "fsync")}
            db.session.rollback()
            db.engine.dispose()         # nothing connected while the twin is copied
        print(f"{len(pool)} decision_pending cases; PostgreSQL {settings}; {os.cpu_count()} "
              f"CPUs; load average {os.getloadavg()}", flush=True)
        with twin(url) as twin_url:
            urls = {LOCKED: url, UNLOCKED: twin_url}
            rows = []
            for round_no in range(1, args.rounds + 1):
                for procs in args.procs:
                    for mode in args.modes:
                        row = run(urls[mode], pool, procs, args.readers, mode == LOCKED,
                                  args.seconds)
                        rows.append(row | {"round": round_no})
                        print(f"  round {round_no} {mode} P={procs} R={args.readers}: "
                              f"{row['tps']:,.1f} transitions/s, p95 {num(row['p95_ms'])} ms, "
                              f"lock wait share {row['wait_share'] or 0:.0%}, errors "
                              f"{row['errors']}, load {row['loadavg']:.1f}", flush=True)
            checks = {mode: chain_check(create_app(config(urls[mode]))) for mode in args.modes}
    for mode, check in checks.items():
        print(f"chain of the {mode} runs: {check}")
    print()
    print(table(medians(rows)))
    if args.json:
        args.json.write_text(json.dumps({"settings": settings, "pool": len(pool),
                                         "rows": rows, "checks": checks}, indent=1))
    return 0 if checks.get(LOCKED, {"ok": True})["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
