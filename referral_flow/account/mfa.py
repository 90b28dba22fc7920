"""The user's own second factor: turn it on (any user; required roles do it at sign-in),
see when it was set up and how many recovery codes are left, make new recovery codes."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..forms.second_factor import CodeForm, EnrolForm
from ..services import second_factor as mfa
from .routes import bp


def _page(enrol_form=None, codes_form=None, status: int = 200):
    enrolled = mfa.is_enrolled(current_user)
    proposal = None
    if not enrolled:
        enrol_form = enrol_form or EnrolForm(formdata=None)
        proposal = mfa.propose(current_user, enrol_form.pending.data)
        enrol_form.pending.data = proposal.token
    return render_template(
        "account/second_factor.html", enrolled=enrolled,
        enrolled_at=mfa.enrolled_at(current_user) if enrolled else None,
        left=mfa.recovery_codes_left(current_user) if enrolled else 0,
        required=mfa.required_for(current_user, clock.today()), proposal=proposal,
        enrol_form=enrol_form, codes_form=codes_form or CodeForm(formdata=None)), status


@bp.get("/second-factor")
@login_required
def second_factor():
    return _page()


@bp.post("/second-factor/enrol")
@login_required
def enrol_second_factor():
    if mfa.is_enrolled(current_user):
        return redirect(url_for("account.second_factor"))
    form = EnrolForm()
    if form.validate_on_submit():
        codes = form.enrol(current_user)
        if codes is not None:
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes, first=True,
                                   continue_url=url_for("account.second_factor"))
    return _page(enrol_form=form, status=400)


@bp.post("/second-factor/recovery-codes")
@login_required
def new_recovery_codes():
    if not mfa.is_enrolled(current_user):
        return redirect(url_for("account.second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        codes = mfa.regenerate_recovery_codes(current_user, form.code.data)
        if codes is not None:
            db.session.commit()
            flash(_("New recovery codes were made; the earlier ones no longer work."), "info")
            return render_template("account/recovery_codes.html", codes=codes,
                                   continue_url=url_for("account.second_factor"))
        form.code.errors.append(_("This code is wrong, expired or already used."))
    return _page(codes_form=form, status=400)
