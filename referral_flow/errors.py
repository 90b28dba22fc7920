"""Error pages in the user's language; every error rolls the transaction back."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

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


def register(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _page(code))
    app.register_error_handler(
        CSRFError, lambda e: _page(400, _l("The form expired. Reload the page and try again.")))
