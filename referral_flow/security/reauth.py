"""Re-authentication before a bulk export of personal data: the password (and the second
factor, when enrolled) must have been given within ``REAUTH_MINUTES``. Signing in counts;
so does the re-authentication page (``auth.reauthenticate``) the decorator sends to."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from .. import clock
from ..extensions import login_manager

AUTHENTICATED_AT = "authenticated_at"


def mark_authenticated() -> None:
    session[AUTHENTICATED_AT] = clock.wall_clock().timestamp()


def recently_authenticated() -> bool:
    at = session.get(AUTHENTICATED_AT)
    if not isinstance(at, (int, float)):
        return False
    age = clock.wall_clock().timestamp() - at
    return 0 <= age <= timedelta(minutes=current_app.config["REAUTH_MINUTES"]).total_seconds()


def fresh_authentication_required(view):
    """For the exports that list people: ask for the password (and code) again first,
    then come back to the same address."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not recently_authenticated():
            return redirect(url_for("auth.reauthenticate", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped
