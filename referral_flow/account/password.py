"""Changing one's own password (current password, then the new one twice), and the change
that a password chosen by an administrator (a new account, a reset) requires: until it is
made, every page of a signed-in user leads to this form."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import PasswordField
from wtforms.validators import EqualTo, ValidationError

from ..extensions import db, limiter
from ..forms import Form, longest, new_password, required
from ..security import passwords
from ..services import passwords as password_service
from .routes import bp

# What a user who must change his password can still reach.
OPEN_WHILE_CHANGING = frozenset({"account.change_password", "auth.logout", "auth.language",
                                 "static"})


def _own_words(form) -> tuple[str | None, str | None]:
    """What the new password must not be built from: the user's username and name (none
    when the form is built outside a signed-in request, as the form-message tests do)."""
    return getattr(current_user, "username", None), getattr(current_user, "full_name", None)


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[required, longest(200)])
    new = PasswordField(_l("New password"), validators=[
        required, new_password(_own_words)])
    confirm = PasswordField(_l("New password again"), validators=[
        required, EqualTo("new", message=_l("The two passwords differ."))])

    def validate_new(self, field):
        if field.data == self.current.data:
            raise ValidationError(_l("The new password must differ from the current one."))


@bp.before_app_request
def _password_first():
    """A password chosen by an administrator is replaced before anything else is done."""
    if (request.endpoint not in OPEN_WHILE_CHANGING and current_user.is_authenticated
            and current_user.must_change_password):
        return redirect(url_for("account.change_password"))
    return None


def _user_key() -> str:
    """Guesses of the current password are counted per account (the limiter runs before
    ``login_required``, so an anonymous request has a key too)."""
    return f"user:{getattr(current_user, 'id', None)}"


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               key_func=_user_key)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if passwords.credentials_ok(current_user, form.current.data):
            user = current_user._get_current_object()
            password_service.change(user, form.new.data)
            db.session.commit()
            flash(_("Your password was changed. Your other sessions are closed."), "info")
            return redirect(url_for("account.index"))
        form.current.errors.append(_l("The current password is wrong."))
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status
