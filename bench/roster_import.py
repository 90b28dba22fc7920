"""Importing a roster of 10,000 members through the job queue: the time and the peak memory
of the check and of the import, each run by a worker process of its own.

    python bench/roster_import.py [--db sqlite|postgresql|both] [--rows 10000]
                                  [--format xlsx|csv]

Each database is fresh (bench/reports.py's: SQLite in a temporary folder, PostgreSQL
``rf_bench`` on ``BENCH_PG_URL``), built by the real migrations, with one CĐCS and its chair.
The chair uploads the file through the import page as a browser would; a burst of
``flask jobs worker`` (bench/worker.py, on the machine's Redis) runs the check; the chair
presses "Import" on the check's page; another burst runs the import. Each worker's time
includes its start-up (about a second); its peak resident memory is read from the kernel.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from datetime import date
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from openpyxl import Workbook
from sqlalchemy import func, select

from bench.reports import CSRF, PASSWORD, config, fresh_database, login
from bench.worker import REDIS_URL, burst, drop_queue
from referral_flow import create_app
from referral_flow.extensions import db
from referral_flow.models import (EnterpriseKind, Job, JobState, Member, Organisation, Role,
                                  RoleGrant, Tree, UnionKind, User)
from referral_flow.services.second_factor import make_optional_for_all

CHAIR = "chair"
HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Nghề nghiệp",
          "Công nhân trực tiếp sản xuất", "Số điện thoại", "Ngày vào công đoàn"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Cường", "Phạm Thu Dung", "Hoàng Văn Hà"]


def rows(n: int):
    yield HEADER
    for i in range(n):
        yield [NAMES[i % 5], date(1970 + i % 35, 1 + i % 12, 1 + i % 28),
               "Nữ" if i % 2 else "Nam", f"0791{i:08d}", "Công nhân may",
               "x" if i % 3 else "", f"09{i:08d}", "01/03/2015"]


def roster_file(n: int, fmt: str) -> bytes:
    if fmt == "csv":
        text = "\r\n".join(";".join(c.strftime("%d/%m/%Y") if isinstance(c, date) else c
                                    for c in row) for row in rows(n))
        return text.encode("utf-8-sig")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    for row in rows(n):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def world() -> None:
    """A federation, one CĐCS and its chair (who may sign in without a second factor)."""
    fed = Organisation(code="LDLD", tree=Tree.union, kind=UnionKind.federation.value,
                       name="LĐLĐ", opened_on=date(2015, 1, 1))
    unit = Organisation(code="CDCS-1", tree=Tree.union, kind=UnionKind.grassroots.value,
                        name="CĐCS Công ty May", opened_on=date(2015, 1, 1),
                        enterprise_kind=EnterpriseKind.fdi, has_party_org=False)
    db.session.add_all([fed, unit])
    db.session.flush()
    fed.place_under(None)
    unit.place_under(fed)
    chair = User(username=CHAIR, full_name="Chủ tịch")
    chair.set_password(PASSWORD)
    chair.grants.append(RoleGrant(role=Role.union_chair, org=unit,
                                  valid_from=date(2020, 1, 1)))
    db.session.add(chair)
    make_optional_for_all()
    db.session.commit()


def _token(page: str) -> str:
    m = CSRF.search(page)
    return m.group(1) or m.group(2)


def _job(app, location: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, location.rsplit("/", 1)[1])
        db.session.expunge(job)
        return job


def bench(kind: str, args, data: bytes) -> bool:
    print(f"\n== {kind}: {args.rows:,} rows, {args.format}, {len(data) / 1e6:.2f} MB ==")
    queue = f"rf-bench-{uuid.uuid4().hex[:8]}"
    with fresh_database(kind) as db_url:
        app = create_app(config(db_url) | {"JOBS_MODE": "rq", "REDIS_URL": REDIS_URL,
                                           "JOBS_QUEUE": queue})
        try:
            with app.app_context():
                upgrade()
                world()
            client = login(app, CHAIR)
            started = time.perf_counter()
            asked = client.post("/members/import", data={
                "csrf_token": _token(client.get("/members/import").text), "existing": "skip",
                "file": (io.BytesIO(data), f"danh-sach.{args.format}")})
            upload = time.perf_counter() - started
            checked_in, check_peak = burst(db_url, queue)
            check = _job(app, asked.location)
            if check.state != JobState.done or not (check.summary or {}).get("ok"):
                print(f"ERROR: the check did not pass: {check.error or check.summary}")
                return False
            imported = client.post(f"/members/import/{check.id}/commit", data={
                "csrf_token": _token(client.get(asked.location).text)})
            imported_in, import_peak = burst(db_url, queue)
            done = _job(app, imported.location)
            with app.app_context():
                kept = db.session.scalar(select(func.count(Member.id)))
            print(f"upload and queueing:  {upload:8.2f} s")
            print(f"check (worker):       {checked_in:8.2f} s   peak {check_peak:7.1f} MiB")
            print(f"import (worker):      {imported_in:8.2f} s   peak {import_peak:7.1f} MiB")
            print(f"members now:          {kept:8,}")
            ok = done.state == JobState.done and kept == args.rows
            print(f"state:                {done.state.value}"
                  + ("" if ok else f"  ERROR {done.error}"))
            return ok
        finally:
            with app.app_context():
                db.engine.dispose()
            drop_queue(queue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    args = parser.parse_args(argv)
    data = roster_file(args.rows, args.format)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = [kind for kind in kinds if not bench(kind, args, data)]
    print(f"\n{len(failed)} error(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
