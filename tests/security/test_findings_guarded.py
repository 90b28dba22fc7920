"""The 24 failures of the security review of 2026-11 (ASVS 5.0 level 2; the review's
security.md) each have at least one test in this suite that names it (``# F-x.y`` in the
test, or in the comment right above it) and fails if it comes back. A finding whose tests
were removed fails here."""
from __future__ import annotations

import ast
import re
from pathlib import Path

FINDINGS = {
    # sessions
    "F-2.1", "F-2.2", "F-2.3", "F-2.4", "F-2.5",
    # authentication
    "F-3.1", "F-3.2", "F-3.3", "F-3.4", "F-3.5", "F-3.6", "F-3.7", "F-3.8",
    # access control
    "F-4.10",
    # security headers
    "F-7.1", "F-7.2", "F-7.3",
    # errors and bad input
    "F-8.1", "F-8.2",
    # audit
    "F-9.1", "F-9.2", "F-9.3", "F-9.4",
    # secrets and configuration
    "F-10.1",
}
NAMED = re.compile(r"F-\d+\.\d+")


def _named_by_tests() -> set[str]:
    named = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        if path.name == Path(__file__).name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                # The test, its decorators and the comment lines right above them.
                start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                while start > 0 and lines[start - 1].lstrip().startswith("#"):
                    start -= 1
                named |= set(NAMED.findall("\n".join(lines[start:node.end_lineno])))
    return named


def test_every_finding_of_the_review_has_a_test():
    assert len(FINDINGS) == 24
    assert FINDINGS - _named_by_tests() == set()
