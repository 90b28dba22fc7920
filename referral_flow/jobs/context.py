"""What a task sees (``JobContext``) and what it gives back (``JobResult``)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..extensions import db
from ..models import Job, User
from . import progress


class JobFailed(Exception):
    """A failure the user should read (a corrupt file, a list that is too long): the job
    ends as failed with this message, and the task's writes are rolled back."""


@dataclass
class JobResult:
    summary: dict
    # (file name, content, MIME type): offered as a download on the job's page.
    file: tuple[str, bytes, str] | None = None


class JobContext:
    # Progress is written at most this often (seconds), however often the task reports.
    EVERY = 0.3

    def __init__(self, job: Job, upload: bytes | None = None):
        self.job = job
        self._upload = upload
        self._last = 0.0

    @cached_property
    def owner(self) -> User:
        return db.session.get(User, self.job.owner_id)

    @property
    def today(self) -> date:
        return date.fromisoformat(self.job.today)

    def input_file(self) -> tuple[str, bytes]:
        """The uploaded file the job was given (``enqueue(upload=...)`` or ``input_of``)."""
        if self._upload is None:
            raise LookupError(f"job {self.job.id} was given no file")
        return self.job.input_name or "", self._upload

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.EVERY:
            return
        self._last = now
        progress.report(self.job.id, done, total)
