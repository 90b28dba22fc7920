"""The union chair's screens: the roster of the chair's units, adding and editing a member,
nominating one (the draft case), and the units' cases with this year's referral count.

Scope: the units that keep members (the CĐCS, and the unions directly above grassroots for
workers of enterprises without a CĐCS) under the chair's union_chair grants. A member outside
them is a 404; a user without such a grant gets 403 on every page here.
"""
from __future__ import annotations

from datetime import date

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..case_export import case_export, export_list, file_name
from ..extensions import db, limiter
from ..forms import EmptyForm, options, query_text
from ..models import (Case, Member, Organisation, PartyMember, Role, Target, UnionKind,
                      UnitPlan, User)
from ..paging import pager
from ..read_log import log_page_read
from ..security import scoped_cases
from ..security.grants import chaired_units, granted_nodes
from ..security.scope import MAX_ID
from ..services import audit
from ..services.cases import open_draft
from ..text import fold
from ..menu import nav_entry
from ..workflow.errors import WorkflowError
from ..workflow.states import OPEN, STATES
from ..security.reauth import fresh_authentication_required
from .forms import MemberForm

bp = Blueprint("members", __name__, url_prefix="/members")
CHAIR = frozenset({Role.union_chair})


def is_chair(user: User) -> bool:
    return bool(granted_nodes(user, CHAIR))


nav_entry("members.index", _l("Members"), is_chair)


# --- scope ------------------------------------------------------------------------------

def chair_units() -> list[Organisation]:
    """The grassroots units under the current user's union_chair grants; 403 when the user
    holds no such grant."""
    units = chaired_units(current_user)
    if not units:
        abort(403)
    return units


def member_or_404(member_id: int, units: list[Organisation]) -> Member:
    if not 0 < member_id <= MAX_ID:
        abort(404)
    member = db.session.scalars(select(Member).where(
        Member.id == member_id, Member.unit_id.in_([u.id for u in units]))).first()
    if member is None:
        abort(404)
    return member


def chosen_unit(units: list[Organisation]) -> Organisation | None:
    """The unit picked in the selector (``?unit=``), or None for all of the chair's units."""
    wanted = request.args.get("unit", type=int)
    return next((u for u in units if u.id == wanted), None)


def roster_args() -> dict:
    """The roster's filters, carried through a nomination and back."""
    args = {k: request.values.get(k, "") for k in ("q", "unit", "page")}
    return {k: v[:100] for k, v in args.items() if v}


# --- roster -----------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    units = chair_units()
    unit = chosen_unit(units)
    ids = [unit.id] if unit else [u.id for u in units]
    q = query_text()
    per_page = current_app.config.get("MEMBERS_PER_PAGE", 50)

    where = [Member.unit_id.in_(ids)]
    if q:
        by_name = Member.search_key.contains(fold(q), autoescape=True)
        digits = q.replace(" ", "")
        where.append(or_(by_name, Member.citizen_id.startswith(digits))
                     if digits.isascii() and digits.isdigit() else by_name)
    total = db.session.scalar(select(func.count(Member.id)).where(*where))
    paging = pager(total, per_page)
    # The member's latest case of any state, in the same statement: an open one or an
    # official membership is why there is no "Nominate"; an earlier refusal is shown.
    latest = (select(Case.id).where(Case.member_id == Member.id)
              .order_by(Case.id.desc()).limit(1).correlate(Member).scalar_subquery())
    on_roster = exists().where(PartyMember.member_id == Member.id,
                               PartyMember.left_on.is_(None)).correlate(Member)
    rows = db.session.execute(paging.slice(
        select(Member, Case.id, Case.state, Case.closed_on, Case.official_from,
               on_roster.label("on_roster"))
        .outerjoin(Case, Case.id == latest)
        .where(*where)
        .order_by(Member.search_key, Member.id))).all()
    page = render_template(
        "members/index.html", rows=rows, total=total, paging=paging, q=q,
        units=units, unit=unit, unit_names={u.id: u.name for u in units}, states=STATES,
        open_states=OPEN, back=roster_args())
    log_page_read(members=[row[0].id for row in rows])
    return page


# --- add and edit -----------------------------------------------------------------------

def _form_page(form: MemberForm, member: Member | None, status: int = 200,
               duplicate: Member | None = None):
    return render_template("members/form.html", form=form, member=member,
                           duplicate=duplicate), status


def employer_named(form: MemberForm, unit: Organisation) -> bool:
    """On the roster of a union above grassroots the worker's employer (an enterprise
    without a CĐCS) is named; else the field says so."""
    if unit.kind == UnionKind.grassroots.value or (form.employer.data or "").strip():
        return True
    form.employer.errors = [*form.employer.errors, _(
        "%(unit)s is a union above grassroots: name the enterprise without a CĐCS where the "
        "worker works.", unit=unit.name)]
    return False


NOT_HERE = _l("This citizen ID cannot be used here. If the member transferred from another "
              "unit, ask the upper-level union to transfer the record.")


def _other_with_citizen_id(form: MemberForm, member: Member | None) -> Member | None:
    if not form.citizen_id.data:
        return None
    stmt = select(Member).where(Member.citizen_id == form.citizen_id.data)
    if member is not None:
        stmt = stmt.where(Member.id != member.id)
    return db.session.scalars(stmt.limit(1)).first()


def _refuse_citizen_id(form: MemberForm, member: Member | None, other: Member,
                       units: list[Organisation]):
    """The citizen ID is ``other``'s (F-4.10). One of the chair's own members is named,
    with a link; a member elsewhere gets a neutral answer that says neither where nor
    whose, and the attempt is audited (by record id, no personal data) so that probing
    other units' records shows in the trail."""
    if other.unit_id in {u.id for u in units}:
        form.citizen_id.errors.append(_("This member is already on your roster."))
        return _form_page(form, member, 400, duplicate=other)
    form.citizen_id.errors.append(str(NOT_HERE))
    g.citizen_id_refused = True
    audit.append(trigger="citizen_id_refused", subject="member", actor_id=current_user.id,
                 data={"member_id": other.id})
    db.session.commit()
    return _form_page(form, member, 400)


def _probes_limited(view):
    """At most ``CITIZEN_ID_PROBE_LIMIT`` answers of "this citizen ID cannot be used here"
    per user (F-4.10): the global unique index means a taken ID cannot be saved, so the
    answers are neutral, audited, and too few to enumerate another unit's members."""
    return limiter.limit(lambda: current_app.config["CITIZEN_ID_PROBE_LIMIT"],
                         methods=["POST"], key_func=lambda: f"citizen-id:{current_user.id}",
                         deduct_when=lambda response: g.get("citizen_id_refused", False))(view)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@_probes_limited
def create():
    units = [u for u in chair_units() if u.is_open_on(clock.today())]
    if not units:
        flash(_("None of your units is open: no member can be added."), "error")
        return redirect(url_for("members.index"))
    form = MemberForm()
    form.unit_id.choices = options((u.id, u.name) for u in units)
    if len(units) == 1:
        del form.unit_id
    elif request.method == "GET":
        picked = request.args.get("unit", type=int)
        form.unit_id.data = picked if picked in {u.id for u in units} else None
    if request.method == "GET":
        return _form_page(form, None)
    if not form.validate_on_submit():
        return _form_page(form, None, 400)
    other = _other_with_citizen_id(form, None)
    if other is not None:
        return _refuse_citizen_id(form, None, other, chair_units())
    unit_id = form.unit_id.data if "unit_id" in form else units[0].id
    if not employer_named(form, next(u for u in units if u.id == unit_id)):
        return _form_page(form, None, 400)
    member = Member(unit_id=unit_id, **form.values())
    db.session.add(member)
    try:
        db.session.flush()
        audit.append(trigger="create", subject="member", actor_id=current_user.id,
                     data={"member_id": member.id})
        db.session.commit()
    except IntegrityError:
        # Someone registered the same citizen ID between our check and our insert.
        db.session.rollback()
        form.citizen_id.errors.append(str(NOT_HERE))
        return _form_page(form, None, 409)
    flash(_("The member was added."), "info")
    return redirect(url_for("members.index", unit=unit_id if len(units) > 1 else None))


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
@_probes_limited
def edit(member_id: int):
    units = chair_units()
    member = member_or_404(member_id, units)
    form = MemberForm(obj=member if request.method == "GET" else None)
    del form.unit_id
    if request.method == "GET":
        form.gender.data = member.gender.value
        form.education.data = member.education.value if member.education else ""
        page = _form_page(form, member)
        log_page_read(members=[member.id])
        return page
    if not form.validate_on_submit() or not employer_named(form, member.unit):
        return _form_page(form, member, 400)
    other = _other_with_citizen_id(form, member)
    if other is not None:
        return _refuse_citizen_id(form, member, other, units)
    changed = sorted(name for name, value in form.values().items()
                     if getattr(member, name) != value)
    if not changed:
        flash(_("Nothing was changed."), "info")
        return redirect(url_for("members.index"))
    for name, value in form.values().items():
        if name in changed:
            setattr(member, name, value)
    try:
        db.session.flush()
        # Which fields changed, never their values: the audit trail holds no personal data.
        audit.append(trigger="edit", subject="member", actor_id=current_user.id,
                     data={"member_id": member.id, "fields": changed})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.citizen_id.errors.append(str(NOT_HERE))
        return _form_page(form, db.session.get(Member, member_id), 409)
    flash(_("The member's details were saved."), "info")
    return redirect(url_for("members.index"))


# --- nominate ---------------------------------------------------------------------------

@bp.post("/<int:member_id>/nominate")
@login_required
def nominate(member_id: int):
    member = member_or_404(member_id, chair_units())
    if not EmptyForm().validate_on_submit():
        abort(400)
    if db.session.get_bind().dialect.name == "postgresql":
        # Two chairs pressing at once must not open two cases for one person: the second
        # waits here, then open_draft sees the first one's case. (SQLite writes begin
        # IMMEDIATE, which serialises them already.)
        db.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    try:
        case = open_draft(member, current_user, year=clock.today().year)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("members.index", **roster_args()))
    if member.not_union_member:
        flash(_("The draft referral was opened. Record the two introducers' letters (3-KNĐ) "
                "to submit it."), "info")
    else:
        flash(_("The draft referral was opened. Record the union's resolution (4A-KNĐ) to "
                "submit it."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


# --- the units' cases -------------------------------------------------------------------

def referred(year: int):
    """Cases counted as referrals of ``year``: submitted by the union during the year, the
    date the achievement report counts too (a draft never submitted is not counted)."""
    return Case.nominated_on.between(date(year, 1, 1), date(year, 12, 31))


def unit_filters(units: list[Organisation]) -> tuple[Organisation | None, str, int | None]:
    """The list's filters ``?unit=``, ``?state=``, ``?year=``, cleaned."""
    state = request.args.get("state", "")
    year = request.args.get("year", type=int)
    return (chosen_unit(units), state if state in STATES else "",
            year if year is not None and 1900 <= year <= 2200 else None)


def unit_cases(units: list[Organisation]):
    """The chair's scoped cases filtered as ``unit_filters`` says, with the filters."""
    unit, state, year = unit_filters(units)
    return cases_of_units(current_user, units, unit, state, year), unit, state, year


def cases_of_units(user: User, units: list[Organisation], unit: Organisation | None,
                   state: str, year: int | None, today: date | None = None):
    """``user``'s scoped cases of ``unit`` (else of all ``units``), in ``state`` (any when
    "") and of referral ``year`` (any when None)."""
    ids = [unit.id] if unit else [u.id for u in units]
    stmt = scoped_cases(user, today).where(Case.union_unit_id.in_(ids))
    if state:
        stmt = stmt.where(Case.state == state)
    if year:
        stmt = stmt.where(Case.referral_year == year)
    return stmt


@export_list("unit_cases")
def _export_statement(user: User, filters: dict, today: date):
    units = chaired_units(user, today)
    unit = next((u for u in units if u.id == filters["unit"]), None)
    return cases_of_units(user, units, unit, filters["state"], filters["year"], today) \
        .join(Case.member).order_by(Case.referral_year.desc(), Case.id.desc())


@bp.get("/cases")
@login_required
def cases():
    units = chair_units()
    this_year = clock.today().year
    per_page = current_app.config.get("CASES_PER_PAGE", 50)
    stmt, unit, state, year = unit_cases(units)
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    paging = pager(total, per_page)
    rows = db.session.scalars(paging.slice(
        stmt.order_by(Case.referral_year.desc(), Case.id.desc()))).unique().all()
    years = list(db.session.scalars(
        select(Case.referral_year).where(Case.union_unit_id.in_([u.id for u in units]))
        .distinct().order_by(Case.referral_year.desc())))
    counts = dict(db.session.execute(
        select(Case.union_unit_id, func.count(Case.id))
        .where(Case.union_unit_id.in_([u.id for u in units]), referred(this_year))
        .group_by(Case.union_unit_id)).all())
    ids = [u.id for u in units]
    targets = dict(db.session.execute(select(Target.node_id, Target.target).where(
        Target.node_id.in_(ids), Target.year == this_year)).all())
    plans = dict(db.session.execute(select(UnitPlan.unit_id, UnitPlan.planned).where(
        UnitPlan.unit_id.in_(ids), UnitPlan.year == this_year)).all())
    page = render_template(
        "members/cases.html", cases=rows, total=total, paging=paging, state=state,
        year=year, years=years, states=STATES, units=units, unit=unit,
        unit_names={u.id: u.name for u in units}, this_year=this_year, counts=counts,
        targets=targets, plans=plans)
    log_page_read(members=[case.member_id for case in rows])
    return page


@bp.route("/cases/export", methods=["GET", "POST"])
@login_required
@fresh_authentication_required
def cases_export():
    """All the unit's cases of the filtered list (every page), as CSV or XLSX; logged. A
    long list is built in the background (POST starts it)."""
    unit, state, year = unit_filters(chair_units())
    return case_export("unit_cases", file_name(unit=unit, year=year, state=state),
                       {"unit": unit.id if unit else None, "state": state, "year": year})
