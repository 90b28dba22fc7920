"""The administrator's account screens: the list, a new account, an account's page with its
work contact, role grants, sessions and activation. The rules are in services/accounts.py."""
from __future__ import annotations

import unicodedata

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from .. import clock
from ..extensions import db
from ..forms import EmptyForm, query_text
from ..labels import ROLE_LABELS
from ..models import Member, Role, RoleGrant, User
from ..paging import pager
from ..services import accounts as svc
from ..services.refused import Refused
from ..services.sessions import active_sessions
from . import forms as f
from .routes import _user_or_404, admin_required, bp, show_refusal

USERS_PAGE = 50


@bp.get("/users")
@admin_required
def users():
    q = query_text()
    stmt = select(User)
    if q:
        needle = unicodedata.normalize("NFC", q).lower()
        stmt = stmt.where(or_(func.lower(User.username).contains(needle, autoescape=True),
                              func.lower(User.full_name).contains(needle, autoescape=True)))
    total = db.session.scalar(stmt.with_only_columns(func.count(User.id)))
    p = pager(total, USERS_PAGE)
    rows = db.session.scalars(p.slice(stmt.order_by(User.username))).all()
    return render_template("admin/users.html", users=rows, q=q, total=total, paging=p,
                           roles=ROLE_LABELS, today=clock.today())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = f.UserForm()
    if form.validate_on_submit():
        try:
            user = svc.create_user(
                username=form.username.data, full_name=form.full_name.data,
                password=form.password.data, work_phone=form.work_phone.data or "",
                work_email=form.work_email.data or "", actor_id=current_user.id)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The account %(u)s was created; give it a role now.", u=user.username),
                  "info")
            return redirect(url_for("admin.user", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


def _user_page(user: User, grant_form=None, ended: tuple[int, f.EndGrantForm] | None = None,
               status: int = 200, contact_form=None):
    """The account's page; ``ended`` is (grant id, the end form that was sent)."""
    today = clock.today()
    grant_form = grant_form or f.GrantForm(formdata=None, data={"valid_from": today})
    contact_form = contact_form or f.ContactForm(formdata=None, obj=user)
    member = db.session.get(Member, user.member_id) if user.member_id else None
    grants = sorted(user.grants, key=lambda g: (g.valid_from, g.id))
    end_forms = {g.id: f.EndGrantForm(formdata=None, data={"valid_to": today}) for g in grants}
    if ended is not None:
        end_forms[ended[0]] = ended[1]
    return render_template("admin/user.html", user=user, member=member, grants=grants,
                           grant_form=grant_form, button=EmptyForm(formdata=None),
                           contact_form=contact_form, sessions=active_sessions(user),
                           end_forms=end_forms, roles=ROLE_LABELS, today=today), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(_user_or_404(user_id))


def _button_pressed() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


@bp.post("/users/<int:user_id>/active")
@admin_required
def toggle_active(user_id: int):
    user = _user_or_404(user_id)
    _button_pressed()
    try:
        svc.set_active(user, not user.active, actor=current_user)
    except Refused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    db.session.commit()
    flash(_("The account was activated.") if user.active else
          _("The account was deactivated; its sessions are closed."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/contact")
@admin_required
def set_contact(user_id: int):
    """The work phone and e-mail candidates see (e.g. of their cell's secretary)."""
    user = _user_or_404(user_id)
    form = f.ContactForm()
    if not form.validate_on_submit():
        return _user_page(user, contact_form=form, status=400)
    changed = svc.set_contact(user, work_phone=form.work_phone.data,
                              work_email=form.work_email.data, actor_id=current_user.id)
    db.session.commit()
    flash(_("The work contact was saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/grants")
@admin_required
def add_grant(user_id: int):
    user = _user_or_404(user_id)
    form = f.GrantForm()
    if form.validate_on_submit():
        try:
            svc.grant_role(user, role=Role(form.role.data), org_code=form.org_code.data or "",
                           citizen_id=form.citizen_id.data or "",
                           valid_from=form.valid_from.data, valid_to=form.valid_to.data,
                           actor=current_user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The role was granted."), "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, grant_form=form, status=400)


def _grant_or_404(user: User, grant_id: int) -> RoleGrant:
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        abort(404)
    return grant


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/end")
@admin_required
def end_grant(user_id: int, grant_id: int):
    user = _user_or_404(user_id)
    grant = _grant_or_404(user, grant_id)
    form = f.EndGrantForm()
    if form.validate_on_submit():
        try:
            svc.end_grant(user, grant, form.valid_to.data, actor=current_user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The grant ends on %(d)s.", d=form.valid_to.data.strftime("%d/%m/%Y")),
                  "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, ended=(grant.id, form), status=400)


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/end-now")
@admin_required
def end_grant_now(user_id: int, grant_id: int):
    """End a grant with immediate effect (F-2.4): it no longer counts today, and the
    account's sessions are cut at once."""
    user = _user_or_404(user_id)
    grant = _grant_or_404(user, grant_id)
    _button_pressed()
    try:
        svc.end_grant_now(user, grant, clock.today(), actor=current_user)
    except Refused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("The grant was ended; it no longer counts from now on."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/end")
@admin_required
def sign_out_everywhere(user_id: int):
    """An administrator's "sign out everywhere" (after a suspected theft, say)."""
    user = _user_or_404(user_id)
    _button_pressed()
    ended = svc.sign_out_everywhere(user, actor=current_user)
    db.session.commit()
    flash(_("Sessions ended: %(n)d.", n=len(ended)), "info")
    return redirect(url_for("admin.user", user_id=user.id))
