"""Error pages in the user's language; every error rolls the transaction back."""
from __future__ import annotations

from flask import Flask, current_app, g, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .extensions import db, login_manager
from .i18n import format_megabytes

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist or is not within your organisations."),
    405: _l("This action is not allowed here."),
    409: _l("Someone else acted first."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was saved; try again."),
}


def _page(code: int, message=None, reload: str | None = None):
    db.session.rollback()
    return render_template("errors/error.html", code=code, reload=reload,
                           message=message or MESSAGES.get(code, MESSAGES[500])), code


def _too_large(_error: RequestEntityTooLarge):
    """A body over this request's limit (F-8.2), refused before it is read."""
    return _page(413, _l("The request is too large (at most %(limit)s MB). Send a smaller "
                         "file or fewer rows at a time.",
                         limit=format_megabytes(request.max_content_length or 0)))


def _database_unavailable(error: DBAPIError):
    """The database went away (a restart, a lost connection, a locked or missing file):
    the driver's operational and interface errors, and any other error SQLAlchemy took
    for a disconnect. Other database errors are not this page's: they stay a 500.

    A commit may have reached the database before the connection broke, so the page does
    not say "nothing was saved": the user reloads the case and sees. The page is drawn as
    to a visitor because drawing the signed-in header would ask the database again. The
    log line names the driver's error but not the statement, whose parameters may hold a
    citizen's data."""
    if not (isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated):
        raise error
    current_app.logger.error("database unavailable during %s %s: %s: %s", request.method,
                             request.path, type(error.orig).__name__, error.orig)
    # Closing, not rolling back: the pool discards a broken connection without raising.
    db.session.close()
    g._login_user = login_manager.anonymous_user()
    body, code = _page(503, _l(
        "The database cannot be reached right now. If you were recording a step, it may or "
        "may not have been recorded: reload the case and check it before trying again."),
        reload=request.path if _shows(request.path) else page_behind(request.path))
    return body, code, {"Retry-After": "30", "Cache-Control": "no-store"}


def _shows(path: str) -> bool:
    """Whether a GET on ``path`` shows a page of the app."""
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return True


def page_behind(path: str) -> str | None:
    """The nearest page above ``path`` that a GET can show (``/cases/7/accept`` ->
    ``/cases/7``, ``/members/5/nominate`` -> ``/members/``)."""
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        base = "/".join(parts)
        for candidate in (base, base + "/"):
            if candidate and _shows(candidate):
                return candidate
    return None


def _not_allowed(_error):
    """A GET on an address that only takes a form's POST is a reload or "back" after the
    form was refused: go back to the page the form was on rather than to a dead end."""
    target = page_behind(request.path) if request.method == "GET" else None
    return redirect(target) if target else _page(405)


def register(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _page(code))
    app.register_error_handler(405, _not_allowed)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(
        CSRFError, lambda e: _page(400, _l("The form expired. Reload the page and try again.")))
