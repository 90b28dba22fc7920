"""Signing in, in steps. The password step does not sign the user in: when a second
factor follows (a code, or enrolment when his roles require one) it leaves a short-lived
"password checked" marker in the session. Every sign-in ends in ``complete_sign_in``."""
from __future__ import annotations

from flask import current_app, redirect, request, session
from werkzeug.wrappers import Response

from .. import clock
from ..extensions import db
from ..models import User
from ..security.reauth import mark_authenticated
from ..services import audit
from .sessions import sign_in

PASSWORD_CHECKED = "password_checked"


def log_sign_in(trigger: str, user: User | None, **data) -> None:
    """An authentication event in the audit trail (ASVS 16.3.1): ``sign_in``, ``sign_out``
    or ``sign_in_refused``, with the client's address. A refusal for an unknown account
    names none (what was typed may be a password typed in the wrong box)."""
    audit.append(trigger=trigger, subject="sign_in", actor_id=user.id if user else None,
                 data={"user_id": user.id if user else None,
                       "address": (request.remote_addr or "")[:45], **data})


def complete_sign_in(user: User, next_url: str | None) -> Response:
    """The one way into a session: the user is signed in (a server-side session opened,
    committed) and sent to the safe ``next``. Signing in counts as the recent
    authentication a bulk export asks for."""
    from .routes import _safe_next     # routes imports this module's callers
    session.pop(PASSWORD_CHECKED, None)
    sign_in(user)
    log_sign_in("sign_in", user, session_id=int(user.login_key.partition(":")[0]))
    db.session.commit()
    mark_authenticated()
    return redirect(_safe_next(next_url))


def password_checked(user: User, next_url: str | None) -> None:
    session[PASSWORD_CHECKED] = {"user": user.id,
                                 "at": clock.wall_clock().timestamp(), "next": next_url, "tries": 0}


def pending() -> tuple[User, str | None] | None:
    """The user whose password was checked in the last ``SIGNIN_STEP_MINUTES`` and the
    page he asked for; None (and the marker dropped) when there is none or it expired."""
    marker = session.get(PASSWORD_CHECKED)
    if not isinstance(marker, dict):
        return None
    age = clock.wall_clock().timestamp() - marker.get("at", 0)
    user = db.session.get(User, marker.get("user", 0))
    if (not 0 <= age <= current_app.config["SIGNIN_STEP_MINUTES"] * 60 or user is None
            or not user.active):
        session.pop(PASSWORD_CHECKED, None)
        return None
    return user, marker.get("next")


def wrong_code(user: User, step: str) -> bool:
    """Count a wrong code (audited and committed); True when the tries are used up and the
    password step must be done again (the marker is dropped)."""
    log_sign_in("sign_in_refused", user, step=step)
    db.session.commit()
    marker = session.get(PASSWORD_CHECKED, {})
    marker["tries"] = marker.get("tries", 0) + 1
    if marker["tries"] >= current_app.config["SIGNIN_CODE_TRIES"]:
        session.pop(PASSWORD_CHECKED, None)
        return True
    session[PASSWORD_CHECKED] = marker
    return False
