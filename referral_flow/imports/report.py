"""What a check of an import found: the rows previewed, every bad cell, the counts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

PREVIEW_ROWS = 20
MAX_ERRORS = 1000            # listed; beyond this only counted (the file needs work anyway)

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The progress callback of a caller that shows none."""


@dataclass(frozen=True)
class RowError:
    row: int            # as the spreadsheet shows it
    column: str         # the file's header of the column ("" for the row as a whole)
    message: str


@dataclass
class Report:
    """The outcome of a check (or of a write: the same counts). ``counts`` are the
    importer's (added, updated, skipped, ...); ``rows`` the data rows read."""
    file_name: str
    sha256: str
    headers: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)      # {"row", "cells", "action"}
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, row: int, column: str, message) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, str(message)))

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def show(self, row: int, cells: list[str], action) -> None:
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append({"row": row, "cells": cells, "action": str(action)})

    def summary(self) -> dict:
        """JSON-safe: what the result page shows."""
        return {"file": self.file_name, "sha256": self.sha256, "headers": self.headers,
                "preview": self.preview, "errors": [asdict(e) for e in self.errors],
                "error_count": self.error_count, "ignored_columns": self.ignored_columns,
                "counts": self.counts, "rows": self.rows, "ok": self.ok}


class ImportRefused(Exception):
    """Some rows are wrong: nothing was written; ``report`` lists them."""

    def __init__(self, report: Report):
        super().__init__(f"{report.error_count} errors")
        self.report = report
