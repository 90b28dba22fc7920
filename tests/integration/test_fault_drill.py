"""The fault drill runs end to end in one short round (a worker and PostgreSQL killed) and
finds every acknowledged transition, none half-written, the audit chain intact."""
from __future__ import annotations

import re

import pytest

from bench import fault_drill

from ..conftest import needs_real_clock


@pytest.mark.slow
@needs_real_clock
@pytest.mark.skipif(not (fault_drill.PG_BIN / "initdb").exists(),
                    reason=f"no PostgreSQL binaries in {fault_drill.PG_BIN} (set PG_BIN)")
def test_fault_drill_one_round(capsys):
    status = fault_drill.main(["--rounds", "1", "--postgres-every", "1", "--cases", "40",
                               "--threads", "2", "--workers", "2", "--seconds", "3"])
    out = capsys.readouterr().out
    acknowledged = int(re.search(r"transitions acknowledged: (\d+)", out).group(1))
    assert acknowledged > 0
    assert f"transitions found: {acknowledged}" in out
    assert "half-written: 0" in out
    assert "audit chain: intact" in out
    assert status == 0
