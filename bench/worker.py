"""One burst of `flask jobs worker` in a process of its own, on a bench's database and
queue: how long it ran and its peak resident memory.

The peak is the kernel's high-water mark of the worker's program image (VmHWM), read as it
exits; getrusage would also count the pages of the bench process it was forked from."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
WORKER = """
import re, sys
from flask.cli import main
sys.argv = ["flask", "jobs", "worker", "--burst"]
try:
    main()
finally:
    status = open("/proc/self/status").read()
    print("VmHWM", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


def burst(db_url: str, queue: str) -> tuple[float, float]:
    """Run the queue's jobs in a new worker process: (seconds, peak RSS in MiB)."""
    env = os.environ | {"REFERRAL_FLOW_ENV": "development", "DATABASE_URL": db_url,
                        "REDIS_URL": REDIS_URL, "JOBS_QUEUE": queue, "FLASK_APP": "wsgi"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    return took, int(done.stdout.split("VmHWM")[-1]) / 1024


def drop_queue(queue: str) -> None:
    from redis import Redis
    with Redis.from_url(REDIS_URL) as redis:
        keys = list(redis.scan_iter(f"*{queue}*"))
        if keys:
            redis.delete(*keys)
