"""Login and logout. Logout ends the session's record on the server."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from ..extensions import db, limiter
from ..forms import EmptyForm
from ..models import EndReason, User
from ..security import passwords
from ..menu import landing_page
from ..services.sessions import current_session, end_session
from .forms import LoginForm
from .signin import log_sign_in

bp = Blueprint("auth", __name__)


def is_local_path(target: str | None) -> bool:
    """Whether ``target`` is a path on this site and nothing a browser could read as
    another site (F-3.7) or a header could choke on (F-8.1): printable ASCII only (no
    control character, whitespace or look-alike slash that a browser strips or folds),
    one leading "/", no backslash, no scheme or host, and not "//" once decoded."""
    if not target or len(target) > 2000:
        return False
    if not all("!" <= ch <= "~" for ch in target) or "\\" in target:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    decoded = unquote(target)
    return not (decoded.startswith("//") or "\\" in decoded)


def _safe_next(target: str | None) -> str:
    if is_local_path(target):
        return target
    return url_for(landing_page(current_user))


def _account_key() -> str:
    """The per-account throttling key: the username as sent, normalised as people type it."""
    username = unicodedata.normalize("NFC", request.form.get("username", "")).strip().casefold()
    return f"account:{username[:60]}"


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(landing_page(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if passwords.credentials_ok(user, form.password.data):
            return after_password(user, request.args.get("next"))
        log_sign_in("sign_in_refused", user, step="password")
        db.session.commit()
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        record = current_session(current_user)
        end_session(record, EndReason.logout)
        log_sign_in("sign_out", current_user, session_id=record.id if record else None)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Choose the interface language: stored on the user, and in a cookie before login."""
    form = EmptyForm()
    chosen = request.form.get("lang", "")
    if not form.validate_on_submit() or chosen not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    response = redirect(_safe_next(request.form.get("next")))
    response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# The second step of sign-in and the re-authentication, on ``bp`` (imported last: they use
# ``bp`` and ``_safe_next``).
from .second_factor import after_password  # noqa: E402
