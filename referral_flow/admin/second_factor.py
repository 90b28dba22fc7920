"""The administrator's side of the second factor: which roles must have one, and the
reset (re-enrolment) of a user's authenticator. Routes on ``admin.bp``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from ..extensions import db
from ..forms import EmptyForm
from ..labels import ROLE_LABELS
from ..models import Role
from ..services import second_factor as mfa
from . import forms as f
from .routes import _user_or_404, admin_required, bp


@bp.route("/second-factor", methods=["GET", "POST"])
@admin_required
def second_factor_policy():
    form = f.SecondFactorPolicyForm(
        data={role.value: required for role, required in mfa.policy().items()})
    if form.validate_on_submit():
        changed, signed_out = mfa.set_policy(
            {role: bool(form[role.value].data) for role in Role}, current_user)
        db.session.commit()
        flash(_("The second-factor policy was saved.") if changed else _("Nothing was changed."),
              "info")
        if signed_out:
            flash(ngettext("%(num)d user of a role that now requires it has no second factor: "
                           "he was signed out and sets one up at his next sign-in.",
                           "%(num)d users of roles that now require it have no second factor: "
                           "they were signed out and set one up at their next sign-in.",
                           signed_out), "info")
        return redirect(url_for("admin.second_factor_policy"))
    return render_template("admin/second_factor_policy.html", form=form, roles=ROLE_LABELS), \
        400 if form.errors else 200


@bp.post("/users/<int:user_id>/second-factor/reset")
@admin_required
def reset_second_factor(user_id: int):
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    mfa.reset(user, current_user)
    db.session.commit()
    flash(_("The second factor was reset; the user's sessions are closed. He sets up an "
            "authenticator again at his next sign-in (if his role requires one) or from his "
            "account page."), "info")
    return redirect(url_for("admin.user", user_id=user.id))
