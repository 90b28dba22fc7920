"""A running job's progress, outside the database (the task's transaction holds it until
the end): in Redis when ``REDIS_URL`` is set (seen by every web process), else in this
process's memory (one process: ``make demo``, tests)."""
from __future__ import annotations

import threading

from flask import current_app
from redis import Redis

_MEMORY: dict[str, tuple[int, int]] = {}
_LOCK = threading.Lock()
KEEP_SECONDS = 24 * 3600


def _redis() -> Redis | None:
    url = current_app.config.get("REDIS_URL")
    return Redis.from_url(url) if url else None


def _key(job_id: str) -> str:
    return f"{current_app.config['JOBS_QUEUE']}:progress:{job_id}"


def report(job_id: str, done: int, total: int) -> None:
    redis = _redis()
    if redis is None:
        with _LOCK:
            _MEMORY[job_id] = (done, total)
        return
    with redis:
        redis.set(_key(job_id), f"{done}/{total}", ex=KEEP_SECONDS)


def read(job_id: str) -> tuple[int, int] | None:
    """(done, total) as last reported, or None before the first report."""
    redis = _redis()
    if redis is None:
        with _LOCK:
            return _MEMORY.get(job_id)
    with redis:
        value = redis.get(_key(job_id))
    if value is None:
        return None
    done, total = value.decode().split("/")
    return int(done), int(total)
