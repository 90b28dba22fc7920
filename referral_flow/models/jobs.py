"""Background jobs (imports, large exports): who asked, what, how it ended, and its files.

The row is written when the job is queued and again, in the task's own transaction, when it
ends: an import's rows and its job's "done" commit together. Progress while it runs is kept
out of the database (Redis, or the process's memory), so that it never waits on the task's
transaction. The files (the upload, the result) are rows of ``job_file``, read only when
downloaded, so a worker on another machine needs nothing but the database.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .base import utcnow


class JobState(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(Enum(JobState, native_enum=False, length=10),
                                            default=JobState.queued)
    summary: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # The job whose uploaded file this one reads (itself, or the check before a commit).
    input_job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))
    input_name: Mapped[str | None] = mapped_column(String(200))
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    # clock.today() when queued: the task's "today", whenever a worker runs it.
    today: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        return self.state in (JobState.done, JobState.failed)


class JobFileRole(str, enum.Enum):
    input = "input"
    result = "result"


class JobFile(db.Model):
    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id"), index=True)
    role: Mapped[JobFileRole] = mapped_column(Enum(JobFileRole, native_enum=False, length=8))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
