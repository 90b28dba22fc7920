"""``log_page_read``: the one call by which a staff page that shows personal data logs that
it was read (services/reads.py), once per page view whatever the number of rows.

Call it after ``render_template`` and return the page: it commits, the one documented
exception to "a GET writes nothing". On SQLite the page was read in a snapshot without the
write lock; the log's rows get a transaction of their own that begins IMMEDIATE (see
database.py), and if they cannot be written the request fails: no page without its log.
A candidate reading his own case is not a staff read: his page does not call it.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_login import current_user

from .database import commit_keeping_loaded
from .forms.query import MAX_QUERY
from .services import reads

MAX_ARGS = 12


def page_filters() -> dict:
    """The page's address arguments (``/classes/<id>``) and query string (filters, search,
    page number), each value cut to the search box's length."""
    args = dict(request.view_args or {})
    for key, value in list(request.args.items())[:MAX_ARGS]:
        args.setdefault(key[:40], value[:MAX_QUERY])
    return args


def log_page_read(*, members: Iterable[int] = (), party_members: Iterable[int] = (),
                  rows: int | None = None) -> None:
    """Log that the current user saw this page, naming the union members and the Party
    members it showed; ``rows`` defaults to the number of people named. Commits."""
    members, party_members = list(members), list(party_members)
    reads.record(actor_id=current_user.id, endpoint=request.endpoint or request.path,
                 filters=page_filters(),
                 rows=len(members) + len(party_members) if rows is None else rows,
                 members=members, party_members=party_members)
    commit_keeping_loaded()
