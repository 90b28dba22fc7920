"""Importing a roster of 10,000 members: time and peak Python memory of the check and of
the import (``imports.roster``), on a fresh SQLite database built by the real migrations.

    python bench/roster_import.py [--rows 10000] [--format xlsx|csv] [--memory]

``--memory`` traces Python allocations (tracemalloc: the parsed rows, the ORM objects) and
prints each step's peak, from just before the step; tracing slows the steps about threefold,
so the times of such a run are not the import's. The process's maximum resident size is
printed in both cases.
"""
from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from openpyxl import Workbook
from sqlalchemy import func, select

from referral_flow import create_app
from referral_flow.config import TestingConfig
from referral_flow.extensions import db
from referral_flow.imports.roster import RosterImport, check_roster, commit_roster
from referral_flow.models import (EnterpriseKind, Member, Organisation, Role, RoleGrant, Tree,
                                  UnionKind, User)

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


def world() -> tuple[User, Organisation]:
    fed = Organisation(code="LDLD", tree=Tree.union, kind=UnionKind.federation.value,
                       name="LĐLĐ", opened_on=date(2015, 1, 1))
    unit = Organisation(code="CDCS-1", tree=Tree.union, kind=UnionKind.grassroots.value,
                        name="CĐCS Công ty May", opened_on=date(2015, 1, 1),
                        enterprise_kind=EnterpriseKind.fdi, has_party_org=False)
    db.session.add_all([fed, unit])
    db.session.flush()
    fed.place_under(None)
    unit.place_under(fed)
    chair = User(username="chair", full_name="Chủ tịch")
    chair.set_password("bench-only-password")
    chair.grants.append(RoleGrant(role=Role.union_chair, org=unit,
                                  valid_from=date(2020, 1, 1)))
    db.session.add(chair)
    db.session.commit()
    return chair, unit


def measure(label: str, step, memory: bool):
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    line = f"{label:<8} {seconds:6.2f} s"
    if memory:
        line += f"   peak {tracemalloc.get_traced_memory()[1] / 1e6:6.1f} MB (tracemalloc)"
        tracemalloc.stop()
    print(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--memory", action="store_true", help="trace allocations (slower)")
    args = parser.parse_args()
    data = roster_file(args.rows, args.format)
    with tempfile.TemporaryDirectory() as tmp:
        config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()} | {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
            "FROZEN_TODAY": date(2026, 11, 25), "AUDIT_ANCHOR_FILE": f"{tmp}/anchors.log"}
        app = create_app(config)
        with app.app_context(), app.test_request_context():
            upgrade()
            chair, unit = world()
            options = RosterImport(user=chair, units=[unit], unit=unit)
            print(f"{args.rows} rows, {args.format}, {len(data) / 1e6:.2f} MB")
            report = measure("check", lambda: check_roster("bench", data, options), args.memory)
            assert report.ok, report.errors[:5]

            def commit():
                done = commit_roster("bench", data, options)
                db.session.commit()
                return done
            report = measure("import", commit, args.memory)
            kept = db.session.scalar(select(func.count(Member.id)))
            print(f"added {report.counts['added']}, members now {kept}")
            db.session.remove()
            db.engine.dispose()
    print(f"max resident size of the process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
