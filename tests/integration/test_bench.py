"""The benchmark script runs end to end on a tiny province and reports every page."""
from __future__ import annotations

import re

from bench import reports


def test_bench_reports_every_page(capsys):
    status = reports.main(["--db", "sqlite", "--units", "40", "--years", "2",
                           "--cases-per-year", "60", "--runs", "1"])
    out = capsys.readouterr().out
    assert "generated in" in out
    for label, *_rest in reports.PAGES:
        line = next(row for row in out.splitlines() if row.startswith(label))
        assert line.endswith("not available") or re.fullmatch(
            rf"{re.escape(label)}\s+\d+\.\d\s+\d+\s+200\s+\d+", line), line
    assert "ERROR" not in out and "0 error(s)" in out
    assert status == 0


def test_bench_export_jobs_runs_a_province_export_through_a_worker(capsys):
    from bench import export_jobs
    status = export_jobs.main(["--db", "sqlite", "--quick"])
    out = capsys.readouterr().out
    assert re.search(r"rows exported:\s+120\b", out) and "state:                       done" in out
    assert re.search(r"worker peak memory \(RSS\):\s+\d+\.\d MiB", out)
    assert status == 0


def test_bench_roster_import_runs_the_check_and_the_import_through_workers(capsys):
    from bench import roster_import
    status = roster_import.main(["--db", "sqlite", "--rows", "50"])
    out = capsys.readouterr().out
    assert re.search(r"check \(worker\):\s+\d+\.\d\d s   peak\s+\d+\.\d MiB", out)
    assert re.search(r"import \(worker\):\s+\d+\.\d\d s   peak\s+\d+\.\d MiB", out)
    assert re.search(r"members now:\s+50\b", out) and status == 0
