"""The administrator's rule-set and calendar screens: the dated rule sets and a new one;
the holiday overrides of a year. The rules are in services/rulesets.py and
services/calendar.py."""
from __future__ import annotations

from datetime import date

import holidays
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..forms import EmptyForm
from ..models import HolidayOverride, RuleSet
from ..services import calendar as calendar_svc
from ..services import rulesets as rules_svc
from ..services.refused import Refused
from ..workflow.rulesets import TO_CONFIRM, form_order, unconfirmed
from . import forms as f
from .routes import admin_required, bp, show_refusal


@bp.get("/rules")
@admin_required
def rules():
    sets = db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from)).all()
    current = rules_svc.in_force(clock.today())
    extra = sorted({k for rs in sets for k in rs.params} - set(f.PARAM_LABELS) - {TO_CONFIRM})
    return render_template("admin/rules.html", sets=sets, current=current,
                           params=f.PARAMS, extra=extra, today=clock.today(),
                           unconfirmed=unconfirmed,
                           in_form_order=lambda value: sorted(value, key=form_order))


@bp.route("/rules/new", methods=["GET", "POST"])
@admin_required
def new_rule_set():
    today = clock.today()
    current = rules_svc.basis(today)
    form = f.rule_set_form(dict(current.params) if current else {},
                           prefill=request.method == "GET")
    if request.method == "GET":
        form.effective_from.data = None
    elif form.validate_on_submit():
        try:
            rule_set = rules_svc.create_rule_set(
                code=form.code.data, title=form.title.data,
                effective_from=form.effective_from.data, params=form.params(),
                note=form.note.data or "", today=today, actor_id=current_user.id)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The rule set %(code)s takes effect on %(d)s.", code=rule_set.code,
                    d=rule_set.effective_from.strftime("%d/%m/%Y")), "info")
            return redirect(url_for("admin.rules"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/rule_new.html", form=form, params=f.PARAMS, current=current,
                           field_name=f.field_name, confirm_name=f.confirm_name), status


def _holiday_page(form, year: int, status: int = 200):
    rows = db.session.scalars(select(HolidayOverride).where(
        HolidayOverride.day >= date(year, 1, 1), HolidayOverride.day <= date(year, 12, 31))
        .order_by(HolidayOverride.day)).all()
    language = "vi" if str(get_locale()) == "vi" else "en_US"
    public = sorted(holidays.country_holidays("VN", years=year, language=language).items())
    return render_template("admin/holidays.html", form=form, rows=rows, year=year,
                           public=public, remove_form=EmptyForm(formdata=None)), status


def _year_arg() -> int:
    year = request.args.get("year", type=int) or clock.today().year
    return year if 1990 <= year <= 2100 else clock.today().year


@bp.get("/holidays")
@admin_required
def holiday_list():
    return _holiday_page(f.HolidayForm(formdata=None), _year_arg())


@bp.post("/holidays")
@admin_required
def add_holiday():
    form = f.HolidayForm()
    year = _year_arg()
    if form.validate_on_submit():
        day = form.day.data
        year = day.year
        try:
            calendar_svc.add_override(day, day_off=form.day_off.data == "1",
                                      note=form.note.data or "", actor_id=current_user.id)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The override for %(d)s was added.", d=day.strftime("%d/%m/%Y")), "info")
            return redirect(url_for("admin.holiday_list", year=day.year))
    return _holiday_page(form, year, 400)


@bp.post("/holidays/<int:holiday_id>/remove")
@admin_required
def remove_holiday(holiday_id: int):
    row = db.session.get(HolidayOverride, holiday_id)
    if row is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    day = row.day
    calendar_svc.remove_override(row, actor_id=current_user.id)
    db.session.commit()
    flash(_("The override for %(d)s was removed.", d=day.strftime("%d/%m/%Y")), "info")
    return redirect(url_for("admin.holiday_list", year=day.year))
