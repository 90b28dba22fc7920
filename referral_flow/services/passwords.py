"""Setting a password: the user's own choice, or an administrator's reset to a one-time
value. Both are audited (never the password) and end the user's other sessions. They
flush; the view commits."""
from __future__ import annotations

from ..models import User
from ..models.user import new_session_token
from ..security.passwords import one_time_password
from . import audit


def _sessions_changed(user: User) -> None:
    """THE call site where a password change ends the user's sessions.

    Today: rotating ``session_token`` ends every session of the user (as logout does); the
    view signs the current browser in again when the user changed his own password.
    At merge with the server-side sessions: call the session store's "end this user's
    sessions" here instead (keeping the current one for a change by the user himself)."""
    user.session_token = new_session_token()


def change(user: User, new_password: str) -> None:
    """The user chose ``new_password`` (already checked against the policy)."""
    user.set_password(new_password)
    user.must_change_password = False
    _sessions_changed(user)
    audit.append(trigger="password_change", subject="user", actor_id=user.id,
                 data={"user_id": user.id, "username": user.username})


def reset(user: User, actor: User) -> str:
    """An administrator resets ``user``'s password: returns the one-time value to show
    once; the user must choose his own at the next sign-in."""
    value = one_time_password()
    user.set_password(value)
    user.must_change_password = True
    _sessions_changed(user)
    audit.append(trigger="password_reset", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "username": user.username})
    return value
