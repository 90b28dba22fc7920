"""An administrator resets a user's password to a one-time value, shown once on the page
that answers the POST (never stored in a flash message or a log); the user must choose his
own at the next sign-in, and his open sessions end."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from ..extensions import db
from ..forms import EmptyForm
from ..services import passwords as password_service
from .routes import _user_or_404, admin_required, bp


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    one_time = password_service.reset(user, current_user)
    db.session.commit()
    return render_template("admin/password_reset.html", user=user, one_time=one_time)
