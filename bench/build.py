"""Build a benchmark database at one of three scales, for bench/national.py to measure.

    python bench/build.py --scale 1x|10x|national [--db URL] [--years N] [--quick]

| scale | what | cases |
|---|---|---:|
| 1x | one province: 3,500 CĐCS, 5 years × 3,000 cases | 15,000 |
| 10x | one large "province": 35,000 CĐCS, 5 years × 30,000 cases | 150,000 |
| national | 34 provinces × 3,650 CĐCS under a national union, 10 years × 160,000 | 1,600,000 |

The database (default ``rf_bench_<scale>`` on ``BENCH_PG_URL``'s server; SQLite by a
``sqlite:///`` URL) is dropped and rebuilt with the real migrations, filled by
``referral_flow.synthetic`` (streamed: COPY on PostgreSQL, a batch of cases in memory at a
time), analysed, and given the bench's users (bench/setup.py). The audit chain is keyed with
bench/serve.py's key, so that ``flask audit verify`` passes under the measuring server. It
prints the time taken, the peak memory of this process and the rows per table, and keeps the
database. ``--quick`` builds a hundredth of the scale (a smoke run).
"""
from __future__ import annotations

import argparse
import resource
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.reports import COUNTED, PG_URL
from bench.serve import config as serve_config
from bench.setup import create_bench_users
from referral_flow import clock, create_app
from referral_flow.extensions import db
from referral_flow.synthetic import generate_nation, generate_province


@dataclass(frozen=True)
class Scale:
    provinces: int          # 0: one province as the root; else under a national union
    units: int              # CĐCS (per province when provinces > 0)
    uppers: int
    years: int
    cases_per_year: int


SCALES = {
    "1x": Scale(0, 3500, 30, 5, 3000),
    "10x": Scale(0, 35000, 300, 5, 30000),
    "national": Scale(34, 3650, 30, 10, 160_000),
}


def reset(url: str) -> None:
    """An empty database at ``url`` (PostgreSQL: dropped and created; SQLite: the file
    removed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def build(url: str, scale: Scale) -> None:
    reset(url)
    app = create_app(serve_config(url, secrets.token_hex(32)))
    with app.app_context():
        upgrade()
        today = clock.today()
        years = list(range(today.year - scale.years + 1, today.year + 1))
        started = time.perf_counter()
        if scale.provinces:
            generate_nation(provinces=scale.provinces, units=scale.units, uppers=scale.uppers,
                            years=years, cases_per_year=scale.cases_per_year, today=today)
        else:
            generate_province(units=scale.units, uppers=scale.uppers, years=years,
                              cases_per_year=scale.cases_per_year, today=today)
        db.session.commit()
        generated = time.perf_counter() - started
        db.session.execute(text("ANALYZE"))      # as autovacuum would on a live database
        db.session.commit()
        counts = ", ".join(f"{m.__tablename__} {db.session.scalar(select(func.count(m.id))):,}"
                           for m in COUNTED)
    users = create_bench_users(app)
    with app.app_context():
        db.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated in {generated:.0f} s (with ANALYZE {time.perf_counter() - started:.0f} s), "
          f"peak memory {peak:.0f} MB")
    print(counts)
    print("bench users:", ", ".join(f"{role} {name}" for role, name in users.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, required=True)
    parser.add_argument("--db", help="database URL (default rf_bench_<scale> on BENCH_PG_URL)")
    parser.add_argument("--years", type=int, help="years of history (default: the scale's)")
    parser.add_argument("--quick", action="store_true", help="a hundredth of the scale")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    if args.years:
        scale = Scale(scale.provinces, scale.units, scale.uppers, args.years,
                      scale.cases_per_year)
    if args.quick:
        scale = Scale(min(scale.provinces, 3), max(scale.units // 100, 20),
                      max(scale.uppers // 10, 3), scale.years, scale.cases_per_year // 100)
    url = args.db or make_url(PG_URL).set(database=f"rf_bench_{args.scale}").render_as_string(
        hide_password=False)
    print(f"building {args.scale}{' (quick)' if args.quick else ''}: {scale} on "
          f"{make_url(url).render_as_string(hide_password=True)}")
    build(url, scale)


if __name__ == "__main__":
    main()
