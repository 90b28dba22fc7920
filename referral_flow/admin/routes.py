"""Administration: the two organisation trees (``organisations``), accounts and role grants
(``users``), rule sets and holiday overrides (``rules``), the auditor's read log and the
second factor. Administrators only. Every change is a POST with CSRF: the view parses the
form, calls one service verb (services/organisations, accounts, rulesets, calendar,
reorganisation), commits once and redirects with a flash message; a refused input
re-renders the form (400) with the message next to the field and nothing saved."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db, login_manager
from ..menu import nav_entry
from ..models import User
from ..security.grants import is_admin
from ..services.refused import Refused

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav_entry("admin.index", _l("Administration"), is_admin)


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_admin(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.before_request
@admin_required
def _only_administrators():
    """Every route of the blueprint, including any added later, is for administrators."""


def show_refusal(form, refused: Refused) -> None:
    """Put a service's messages next to the form's fields (the form's first field when the
    message names none of them); the transaction is rolled back: nothing is saved."""
    db.session.rollback()
    for name, messages in refused.errors.items():
        field = form[name] if name in form else next(iter(form))
        field.errors = list(field.errors) + messages


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")


from . import organisations, reorganisation, users, rules  # noqa: E402,F401  (routes on ``bp``)
from . import reads  # noqa: E402,F401  (registers the auditor's screen on ``bp``)
from . import second_factor  # noqa: E402,F401  (registers the second factor's pages on ``bp``)
