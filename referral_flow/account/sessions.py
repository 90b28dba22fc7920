"""The user's open sessions (F-2.5, ASVS 7.5.2): where and when each began and was last
used, the current one marked; end any one, or all but the current one. Each end is audited."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..extensions import db
from ..forms import EmptyForm
from ..models import EndReason
from ..services import audit
from ..services.sessions import active_sessions, current_session, end_session, end_sessions
from .routes import bp


def _audit_ended(ids: list[int]) -> None:
    audit.append(trigger="end_sessions", subject="user", actor_id=current_user.id,
                 data={"user_id": current_user.id, "username": current_user.username,
                       "sessions": ids})


@bp.get("/sessions")
@login_required
def sessions():
    return render_template("account/sessions.html", sessions=active_sessions(current_user),
                           current=current_session(current_user), button=EmptyForm())


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_one(session_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    record = next((s for s in active_sessions(current_user) if s.id == session_id), None)
    if record is None:      # someone else's, or already over
        abort(404)
    end_session(record, EndReason.ended_by_user)
    _audit_ended([record.id])
    db.session.commit()
    if record.id == current_session(current_user).id:
        logout_user()
        flash(_("You have logged out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("The session was ended."), "info")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_others():
    if not EmptyForm().validate_on_submit():
        abort(400)
    ended = end_sessions(current_user, EndReason.ended_by_user,
                         keep=current_session(current_user))
    if ended:
        _audit_ended(ended)
    db.session.commit()
    flash(_("Sessions ended: %(n)d.", n=len(ended)), "info")
    return redirect(url_for("account.sessions"))
