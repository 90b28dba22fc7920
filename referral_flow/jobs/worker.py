"""The RQ worker (``flask jobs worker``) and the clean-up of old jobs (``flask jobs purge``)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import SimpleWorker
from flask_babel import force_locale, gettext as _
from sqlalchemy import delete, select, update

from .. import clock
from ..extensions import db
from ..models import Job, JobFile, JobState


def work(*, burst: bool = False) -> bool:
    """Take jobs from ``JOBS_QUEUE`` until stopped (or until the queue is empty, ``burst``).

    A ``SimpleWorker`` runs each job in this process, inside the app context the command
    set up: no fork, so no database connection is shared between processes. For more
    throughput start more workers, here or on other machines (same REDIS_URL and
    DATABASE_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not set: without Redis, jobs run in the web process")
    with Redis.from_url(url) as redis:
        worker = SimpleWorker([current_app.config["JOBS_QUEUE"]], connection=redis)
        return worker.work(burst=burst, with_scheduler=False)


def purge(days: int) -> int:
    """Delete the jobs finished more than ``days`` days ago, with their files (an upload
    holds personal records); jobs left waiting or running far beyond the timeout (a worker
    that died) are marked failed. Flushes; the caller commits."""
    now = clock.now()
    stale = now - timedelta(seconds=2 * current_app.config["JOBS_TIMEOUT"])
    with force_locale("vi"):
        message = _("No worker finished this work. Start it again.")
    for job in db.session.scalars(select(Job).where(
            Job.state.in_((JobState.queued, JobState.running)), Job.created_at < stale)):
        job.state, job.finished_at, job.error = JobState.failed, now, message
    ids = list(db.session.scalars(select(Job.id).where(
        Job.finished_at < now - timedelta(days=days))))
    db.session.execute(delete(JobFile).where(JobFile.job_id.in_(ids)))
    # A later job reading a purged job's upload (a commit after its check) loses the link.
    db.session.execute(update(Job).where(Job.input_job_id.in_(ids)).values(input_job_id=None))
    removed = db.session.execute(delete(Job).where(Job.id.in_(ids))).rowcount
    db.session.flush()
    return removed
