"""The SQLite concurrency benchmark runs end to end briefly: reads and transitions answered
as expected, percentiles for each."""
from __future__ import annotations

import re

import pytest

from bench import sqlite_concurrency

from ..conftest import needs_real_clock


@pytest.mark.slow
@needs_real_clock
def test_sqlite_concurrency_runs_briefly(capsys):
    status = sqlite_concurrency.main(["--clients", "3", "--seconds", "3", "--cases", "20",
                                      "--post-every", "3"])
    out = capsys.readouterr().out
    for label in ("case page", "inbox", "case list", "all reads", "transition (POST)"):
        assert re.search(rf"^{re.escape(label)}\s+[1-9]\d*(\s+\d+){{4}}$", out, re.M), out
    assert "unexpected answer" not in out and "server error" not in out
    assert status == 0
