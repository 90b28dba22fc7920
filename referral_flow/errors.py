"""Error pages in the user's language; every error rolls the transaction back."""
from __future__ import annotations

from flask import Flask, current_app, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist or is not within your organisations."),
    405: _l("This action is not allowed here."),
    409: _l("Someone else acted first."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was saved; try again."),
}


def _page(code: int, message=None):
    db.session.rollback()
    return render_template("errors/error.html", code=code,
                           message=message or MESSAGES.get(code, MESSAGES[500])), code


def page_behind(path: str) -> str | None:
    """The nearest page above ``path`` that a GET can show (``/cases/7/accept`` ->
    ``/cases/7``, ``/members/5/nominate`` -> ``/members/``)."""
    adapter = current_app.url_map.bind("localhost")
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        base = "/".join(parts)
        for candidate in (base, base + "/"):
            if not candidate:
                continue
            try:
                adapter.match(candidate, method="GET")
            except HTTPException:
                continue
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
    app.register_error_handler(
        CSRFError, lambda e: _page(400, _l("The form expired. Reload the page and try again.")))
