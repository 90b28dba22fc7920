"""The sign-in's second step (a code from the authenticator or a recovery code), the
enrolment a user whose roles require a second factor goes through before he gets in, and
the re-authentication a bulk export of personal data asks for. Routes on ``auth.bp``."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import clock
from ..extensions import db, limiter
from ..forms.second_factor import CodeForm, EnrolForm
from ..models import User
from ..security.reauth import mark_authenticated
from ..services import second_factor as mfa
from .forms import ReauthForm
from .routes import _safe_next, bp
from .signin import (PASSWORD_CHECKED, complete_sign_in, log_sign_in, password_checked,
                     pending, wrong_code)


def _code_account_key() -> str:
    """The account a code is tried for: the one whose password was just checked, or the
    signed-in user re-authenticating."""
    marker = session.get(PASSWORD_CHECKED)
    user_id = marker.get("user") if isinstance(marker, dict) else None
    if user_id is None and current_user.is_authenticated:
        user_id = current_user.id
    return f"code:{user_id}"


def _code_refused(response: Response) -> bool:
    """A wrong code: the form again (400), or back to the password when the tries ran out."""
    return response.status_code >= 400 or response.location == url_for("auth.login")


def _throttled(view):
    """Per client address, and per account for failed tries whatever the address: with a
    stolen password, 6-digit codes cannot be tried from many addresses without end."""
    per_address = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"],
                                methods=["POST"])
    per_account = limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
                                methods=["POST"], key_func=_code_account_key,
                                deduct_when=_code_refused)
    return per_address(per_account(view))


def after_password(user: User, next_url: str | None) -> Response:
    """The password was right: sign in, or ask for the code, or for enrolment first."""
    if mfa.is_enrolled(user):
        password_checked(user, next_url)
        return redirect(url_for("auth.second_step"))
    if mfa.required_for(user, clock.today()):
        password_checked(user, next_url)
        return redirect(url_for("auth.enrol"))
    return complete_sign_in(user, next_url)


@bp.after_request
def _not_stored(response: Response) -> Response:
    """The enrolment page holds the secret, the sign-in pages the user's name: no cache
    keeps them (the app sets this for signed-in users; these come before)."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _expired() -> Response:
    flash(_("Your sign-in took too long or was interrupted. Log in again."), "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@_throttled
def second_step():
    signing_in = pending()
    if signing_in is None:
        return _expired()
    user, next_url = signing_in
    if not mfa.is_enrolled(user):
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        if mfa.check_code(user, form.code.data):
            db.session.commit()         # the step or the recovery code is spent
            return complete_sign_in(user, next_url)
        if wrong_code(user, "code"):
            return _expired()
        form.code.errors.append(_("This code is wrong, expired or already used."))
    return render_template("auth/second_step.html", form=form), 400 if form.errors else 200


@bp.route("/login/enrol", methods=["GET", "POST"])
@_throttled
def enrol():
    """Enrolment before the first sign-in of a user whose roles require a second factor."""
    signing_in = pending()
    if signing_in is None:
        return _expired()
    user, next_url = signing_in
    if mfa.is_enrolled(user):
        return redirect(url_for("auth.second_step"))
    form = EnrolForm()
    if form.validate_on_submit():
        codes = form.enrol(user)
        if codes is not None:
            db.session.commit()
            signed_in = complete_sign_in(user, next_url)
            return render_template("account/recovery_codes.html", codes=codes,
                                   continue_url=signed_in.location, first=True)
        if wrong_code(user, "enrolment"):
            return _expired()
    proposal = mfa.propose(user, form.pending.data)
    form.pending.data = proposal.token
    return render_template("auth/enrol.html", form=form, proposal=proposal, user=user), \
        400 if form.errors else 200


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
@_throttled
def reauthenticate():
    """Password (and code, when enrolled) again, then back to the export asked for."""
    enrolled = mfa.is_enrolled(current_user)
    form = ReauthForm()
    if not enrolled:
        del form.code
    next_url = request.args.get("next")
    if form.validate_on_submit():
        if current_user.check_password(form.password.data) and (
                not enrolled or mfa.check_code(current_user, form.code.data)):
            mark_authenticated()
            db.session.commit()
            return redirect(_safe_next(next_url))
        log_sign_in("sign_in_refused", current_user, step="reauthentication")
        db.session.commit()
        flash(_("Wrong password or code."), "error")
    return render_template("auth/reauthenticate.html", form=form), 400 if form.errors else 200
