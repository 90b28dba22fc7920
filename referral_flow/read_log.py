"""``log_page_read``: the one call by which a staff page that shows personal data logs that
it was read (services/reads.py), once per page view whatever the number of rows.

Call it after ``render_template`` (the page is built from loaded rows before the commit
expires them) and return the page: it commits, the one documented exception to "a GET
writes nothing". A candidate reading his own case is not a staff read: his page does not
call it.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_login import current_user

from .extensions import db
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
    _commit_keeping_loaded()


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the request loaded: the page is already built, and
    the after-request hooks still read the signed-in user, whose reload would open a new
    transaction (on SQLite a second write lock) for nothing."""
    session = db.session()
    kept, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = kept
