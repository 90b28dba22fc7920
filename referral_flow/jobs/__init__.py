"""Long work (imports, large exports, bulk documents) as background jobs.

A screen calls ``enqueue`` with a task's kind; the task (a function registered with
``@task``) runs in a worker: an RQ worker on Redis (``flask jobs worker``, on this machine or
others) when ``REDIS_URL`` is set, else a thread of the web process (``make demo``), or at
once in the request under ``JOBS_MODE = "inline"`` (tests). Whatever runs it, the task sees
a ``JobContext`` and returns a ``JobResult``; the job's page shows its progress and result.
"""
from .context import JobContext, JobFailed, JobResult
from .queue import enqueue
from .registry import task

__all__ = ["JobContext", "JobFailed", "JobResult", "enqueue", "task"]
