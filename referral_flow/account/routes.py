""""Tài khoản của tôi": what a signed-in user manages about his own account (password,
second factor, sessions). Each of those lives in its own module of this package and adds
its routes to this blueprint."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@login_required
def index():
    return render_template("account/index.html")


from . import mfa  # noqa: E402,F401  (registers the second factor's pages on ``bp``)
