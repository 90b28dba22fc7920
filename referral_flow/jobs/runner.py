"""Running one job: the task's writes, its result and the job's end state commit together;
on any failure they are rolled back and the job ends as failed with a message the owner can
read (the task's own ``JobFailed`` message, else a generic one; the trace goes to the log)."""
from __future__ import annotations

from flask import Flask, current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from .. import clock
from ..database import READ_ONLY as READ_ONLY_OPTION
from ..extensions import db
from ..models import Job, JobFile, JobFileRole, JobState
from .context import JobContext, JobFailed, JobResult
from .registry import READ_ONLY, TASKS


def _start(job_id: str) -> JobContext | None:
    """Take the job and read its upload in a short transaction of their own: on SQLite the
    task's transaction holds the write lock, so it begins only when the task needs it."""
    job = db.session.get(Job, job_id)
    if job is None or job.state != JobState.queued:
        return None             # purged, or already taken by another worker
    job.state, job.started_at = JobState.running, clock.now()
    upload = db.session.scalar(select(JobFile.data).where(
        JobFile.job_id == job.input_job_id, JobFile.role == JobFileRole.input)) \
        if job.input_job_id else None
    db.session.commit()
    return JobContext(job, upload)


def _execute(ctx: JobContext) -> JobResult:
    """The task; a read-only one in a transaction of its own that writes nothing (SQLite:
    no write lock), ended before the job's result is written."""
    kind, params = ctx.job.kind, ctx.job.params
    if kind not in READ_ONLY:
        return TASKS[kind](ctx, **params)
    db.session.rollback()       # whatever reading the job began, so that the next begins…
    db.session.connection(execution_options={READ_ONLY_OPTION: True})   # …without the lock
    try:
        return TASKS[kind](ctx, **params)
    finally:
        db.session.rollback()


def _finish(job_id: str, result: JobResult) -> None:
    job = db.session.get(Job, job_id)
    job.summary = result.summary
    if result.file is not None:
        name, data, mimetype = result.file
        job.result_name, job.result_mimetype = name, mimetype
        db.session.add(JobFile(job_id=job.id, role=JobFileRole.result, data=data))
    job.state, job.finished_at = JobState.done, clock.now()


def _fail(job_id: str, message: str) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    job.state, job.error, job.finished_at = JobState.failed, message, clock.now()
    db.session.commit()


def run(job_id: str) -> None:
    """Run the job ``job_id`` in the current app context, in the owner's language."""
    ctx = _start(job_id)
    if ctx is None:
        return
    job = ctx.job
    with force_locale(ctx.owner.locale or "vi"):
        try:
            _finish(job_id, _execute(ctx))
            db.session.commit()
        except JobFailed as failure:
            _fail(job_id, str(failure))
        except Exception:
            current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
            _fail(job_id, _("The work stopped on an unexpected error. Nothing was saved; "
                            "try again, or tell the administrator."))


def run_in_app(app: Flask, job_id: str) -> None:
    """A thread's entry (``JOBS_MODE = "thread"``): its own app context and session."""
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def run_queued(job_id: str) -> None:
    """The RQ worker's entry: ``flask jobs worker`` runs it inside the app's context."""
    try:
        run(job_id)
    finally:
        db.session.remove()
