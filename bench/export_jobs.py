"""The case-list export of a whole province through the job queue: the time from the
request to the finished file, and the worker's peak memory.

    python bench/export_jobs.py [--db sqlite|postgresql|both] [--units 3500] [--years 5]
                                [--cases-per-year 30000] [--format xlsx|csv] [--quick]

The province and databases are those of bench/reports.py (fresh, migrated, synthetic; the
default is 150,000 cases). The federation officer asks for the export as a browser would
(the list is longer than EXPORT_INLINE_ROWS, so the page offers background work; its form
is posted); a separate worker process, ``flask jobs worker --burst`` on the machine's Redis
(REDIS_URL, default redis://127.0.0.1:6379/0), runs the job. Its peak resident memory is
read from the kernel (VmHWM) as it exits.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.reports import CSRF, FED, config, fresh_database, generate, login
from bench.worker import REDIS_URL, burst, drop_queue
from referral_flow import create_app
from referral_flow.config import Config
from referral_flow.extensions import db
from referral_flow.models import Job, JobFile, JobFileRole, JobState


def bench(kind: str, args) -> bool:
    print(f"\n== {kind}: {args.units} CĐCS, {args.years} years x {args.cases_per_year} cases, "
          f"{args.format} ==")
    queue = f"rf-bench-{uuid.uuid4().hex[:8]}"
    with fresh_database(kind) as db_url:
        app = create_app(config(db_url) | {"JOBS_MODE": "rq", "REDIS_URL": REDIS_URL,
                                           "JOBS_QUEUE": queue,
                                           "EXPORT_INLINE_ROWS": args.inline_rows})
        try:
            generate(app, args.units, args.years, args.cases_per_year)
            client = login(app, FED)
            url = f"/cases/export?format={args.format}"
            started = time.perf_counter()
            page = client.get(url)
            m = CSRF.search(page.text)
            posted = client.post(url, data={"csrf_token": m.group(1) or m.group(2)})
            asked = time.perf_counter() - started
            if posted.status_code != 302:
                print(f"ERROR: the export was not queued ({posted.status_code})")
                return False
            job_id = posted.location.rsplit("/", 1)[1]
            worked, peak = burst(db_url, queue)
            with app.app_context():
                job = db.session.get(Job, job_id)
                size = len(db.session.scalar(select(JobFile.data).where(
                    JobFile.job_id == job_id, JobFile.role == JobFileRole.result)) or b"")
                ok = job.state == JobState.done
                rows = (job.summary or {}).get("rows")
                print(f"request and queueing:        {asked:8.2f} s")
                print(f"worker (start to exit):      {worked:8.2f} s")
                print(f"rows exported:               {rows}")
                print(f"file size:                   {size / 2**20:8.1f} MiB")
                print(f"worker peak memory (RSS):    {peak:8.1f} MiB")
                print(f"state:                       {job.state.value}"
                      + ("" if ok else f"  ERROR {job.error}"))
                return ok
        finally:
            with app.app_context():
                db.engine.dispose()
            drop_queue(queue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--cases-per-year", type=int, default=30000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--quick", action="store_true",
                        help="40 CĐCS, 2 years x 60 cases: a smoke test")
    args = parser.parse_args(argv)
    args.inline_rows = Config.EXPORT_INLINE_ROWS
    if args.quick:
        args.units, args.years, args.cases_per_year, args.inline_rows = 40, 2, 60, 10
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = [kind for kind in kinds if not bench(kind, args)]
    print(f"\n{len(failed)} error(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
