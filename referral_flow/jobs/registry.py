"""The tasks a job may run, by kind. A task's module registers it when imported; the web
app imports every screen, so a worker built by ``create_app`` knows every task."""
from __future__ import annotations

from collections.abc import Callable

TASKS: dict[str, Callable] = {}
READ_ONLY: set[str] = set()


def task(kind: str, *, read_only: bool = False):
    """Register ``fn(ctx, **params) -> JobResult`` as the task of ``kind``. A ``read_only``
    task (a check that writes nothing) reads without taking the database's write lock."""
    def register(fn: Callable) -> Callable:
        if TASKS.get(kind, fn) is not fn:
            raise ValueError(f"two tasks named {kind}")
        TASKS[kind] = fn
        if read_only:
            READ_ONLY.add(kind)
        return fn
    return register
