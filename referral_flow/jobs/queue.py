"""Queueing a job, on the backend ``JOBS_MODE`` names: "rq" (Redis, ``flask jobs worker``),
"thread" (a thread of this process) or "inline" (now, in the request: tests)."""
from __future__ import annotations

import hashlib
import threading
import uuid

from flask import current_app
from redis import Redis
from rq import Queue

from .. import clock
from ..extensions import db
from ..models import Job, JobFile, JobFileRole, User
from . import runner
from .registry import TASKS

# What the worker imports and calls: a name, so that queueing imports nothing more.
RQ_ENTRY = "referral_flow.jobs.runner.run_queued"


def enqueue(kind: str, *, owner: User, params: dict | None = None, title: str,
            upload: tuple[str, bytes] | None = None, input_of: Job | None = None) -> Job:
    """Record the job and hand it to the backend. Commits the request's transaction: the
    job must exist before any worker can look for it. Call it as the view's last step."""
    if kind not in TASKS:
        raise KeyError(f"no task {kind}")
    job = Job(id=str(uuid.uuid4()), owner_id=owner.id, kind=kind, title=str(title)[:200],
              params=params or {}, today=clock.today().isoformat())
    if upload is not None:
        name, data = upload
        job.input_job_id = job.id
        job.input_name = name[:200]
        job.input_sha256 = hashlib.sha256(data).hexdigest()
    elif input_of is not None:
        if input_of.owner_id != owner.id:
            raise PermissionError("a job reads only its owner's files")
        job.input_job_id = input_of.input_job_id
        job.input_name, job.input_sha256 = input_of.input_name, input_of.input_sha256
    db.session.add(job)
    db.session.flush()
    if upload is not None:
        db.session.add(JobFile(job_id=job.id, role=JobFileRole.input, data=upload[1]))
    # Detached with its attributes loaded: reading them after the commit opens no new
    # transaction (on SQLite that would hold the lock the job's thread is waiting for).
    db.session.expunge(job)
    db.session.commit()
    _dispatch(job.id)
    return job


def _dispatch(job_id: str) -> None:
    config = current_app.config
    mode = config["JOBS_MODE"]
    if mode == "inline":
        runner.run(job_id)
    elif mode == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=runner.run_in_app, args=(app, job_id), daemon=True,
                         name=f"job-{job_id}").start()
    elif mode == "rq":
        with Redis.from_url(config["REDIS_URL"]) as redis:
            Queue(config["JOBS_QUEUE"], connection=redis).enqueue(
                RQ_ENTRY, job_id, job_id=job_id, job_timeout=config["JOBS_TIMEOUT"],
                result_ttl=0, failure_ttl=7 * 24 * 3600)
    else:
        raise ValueError(f"JOBS_MODE {mode!r}: one of rq, thread, inline")
