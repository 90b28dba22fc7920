"""The tasks a job may run, by kind. A task's module registers it when imported; the web
app imports every screen, so a worker built by ``create_app`` knows every task."""
from __future__ import annotations

from collections.abc import Callable

TASKS: dict[str, Callable] = {}


def task(kind: str):
    """Register ``fn(ctx, **params) -> JobResult`` as the task of ``kind``."""
    def register(fn: Callable) -> Callable:
        if TASKS.get(kind, fn) is not fn:
            raise ValueError(f"two tasks named {kind}")
        TASKS[kind] = fn
        return fn
    return register
