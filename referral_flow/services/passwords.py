"""Setting a password: the user's own choice, or an administrator's reset to a one-time
value. Both are audited (never the password) and end the user's other sessions. They
flush; the view commits."""
from __future__ import annotations

from ..models import EndReason, User
from ..security.passwords import one_time_password
from . import audit
from .sessions import current_session, end_sessions


def change(user: User, new_password: str) -> None:
    """The user chose ``new_password`` (already checked against the policy)."""
    user.set_password(new_password)
    user.must_change_password = False
    end_sessions(user, EndReason.password_changed, keep=current_session(user))
    audit.append(trigger="password_change", subject="user", actor_id=user.id,
                 data={"user_id": user.id, "username": user.username})


def reset(user: User, actor: User) -> str:
    """An administrator resets ``user``'s password: returns the one-time value to show
    once; the user must choose his own at the next sign-in."""
    value = one_time_password()
    user.set_password(value)
    user.must_change_password = True
    end_sessions(user, EndReason.password_changed)
    audit.append(trigger="password_reset", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "username": user.username})
    return value
