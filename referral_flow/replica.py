"""Reports from a PostgreSQL read replica, when ``REPORTS_DATABASE_URL`` names one.

The replica is a second engine bind (``reports``). Inside ``reading_replica()`` the
session sends its reads there; writes (a flush, an INSERT/UPDATE/DELETE such as the page's
read log) still go to the primary, so a report page keeps its one transaction for what it
writes. Without the setting everything reads the primary. Reports may lag the primary by
the replica's delay; the pages a user acts from (case, inbox, lists) never read it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask_sqlalchemy.session import Session as _Session

BIND = "reports"
_reading: ContextVar[bool] = ContextVar("reading_replica", default=False)


class Session(_Session):
    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and _reading.get() and not self._flushing
                and not getattr(clause, "is_dml", False)
                and BIND in self._db.engines):
            return self._db.engines[BIND]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def reading_replica() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def from_replica(view: Callable) -> Callable:
    """A report view whose reads go to the replica (when there is one)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        with reading_replica():
            return view(*args, **kwargs)
    return wrapped


def configure(app) -> None:
    """Declare the replica's bind before the database is set up."""
    url = app.config.get("REPORTS_DATABASE_URL")
    if url:
        app.config["SQLALCHEMY_BINDS"] = {**app.config.get("SQLALCHEMY_BINDS", {}), BIND: url}
