"""The one way in: every successful sign-in (password today, a second factor later) ends
with ``sign_in``, which opens the server-side session and renews the session material."""
from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import login_user

from ..models import User
from ..services import sessions


def sign_in(user: User) -> None:
    """Open a session record for ``user`` and log him in with it. The CSRF secret of the
    anonymous session is dropped, so a token planted or seen before login is worthless
    after it (F-2.1); the cookie lives as long as the session may (F-2.2). The caller
    commits."""
    user.login_key = sessions.start(user, request.remote_addr,
                                    request.headers.get("User-Agent", ""))
    csrf_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(csrf_key, None)
    g.pop(csrf_key, None)       # Flask-WTF's per-request cache of the token
    session.permanent = True
    login_user(user)
