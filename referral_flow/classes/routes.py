"""Awareness classes: list, create/edit, class page, bulk enrolment, bulk results (reviewed,
then confirmed), and the "skip the class" action for a candidate who already holds a valid
certificate. The rules live in ``services/classes.py``: a view parses, calls one verb,
commits once."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..forms import options, query_text
from ..models import (AwarenessClass, Case, Enrolment, EnrolmentResult, Member, Organisation,
                      Role, Tree, User)
from ..paging import pager
from ..read_log import log_page_read
from ..security import can, get_case_or_404, scoped_cases
from ..security.grants import granted_nodes
from ..security.scope import MAX_ID, PartyOrg
from ..services import classes as svc
from ..services.transitions import fire
from ..text import fold
from ..menu import nav_entry
from ..workflow.calendar import add_months
from ..workflow.errors import WorkflowError
from ..workflow.guards import results_not_yet
from ..workflow.rulesets import NoRuleSet, rule_book, rule_set_on
from .forms import ClassFilter, ClassForm, EnrolForm, ResultsForm, SkipForm

bp = Blueprint("classes", __name__, url_prefix="/classes")
CLASSES_PER_PAGE = 20
CANDIDATES_PER_PAGE = 50


def organiser_nodes(user: User) -> list[Organisation]:
    """Nodes that run classes on which ``user`` is a class organiser today."""
    return granted_nodes(user, {Role.class_organiser}, capability="runs_classes")


nav_entry("classes.index", _l("Awareness classes"), lambda user: bool(organiser_nodes(user)))


def _nodes_or_403() -> list[Organisation]:
    nodes = organiser_nodes(current_user)
    if not nodes:
        abort(403)
    return nodes


def _under(nodes, column=Organisation.path):
    return or_(*[column.startswith(n.path, autoescape=True) for n in nodes])


def _class_scope(nodes):
    """Classes run by a node inside one of the organiser's subtrees."""
    return AwarenessClass.organiser_id.in_(select(Organisation.id).where(_under(nodes)))


def _get_class_or_404(class_id: int, nodes, lock: bool = False) -> AwarenessClass:
    if not 0 < class_id <= MAX_ID:
        abort(404)
    stmt = select(AwarenessClass).where(AwarenessClass.id == class_id, _class_scope(nodes))
    if lock:        # serialises certificate numbering and capacity on PostgreSQL
        stmt = stmt.with_for_update(of=AwarenessClass)
    klass = db.session.scalars(stmt).first()
    if klass is None:
        abort(404)
    return klass


def _runners(nodes) -> list[Organisation]:
    """Party nodes that run classes in the organiser's subtrees (choices of a class form)."""
    return db.session.scalars(
        select(Organisation).where(Organisation.tree == Tree.party,
                                   Organisation.runs_classes.is_(True),
                                   Organisation.closed_on.is_(None), _under(nodes))
        .order_by(Organisation.path)).all()


def _finish(results: list[svc.RowResult], saved_message: str, back: str, render):
    """Commit what was saved; PRG when every row was, else the page with the row results."""
    db.session.commit()
    saved = sum(r.ok for r in results)
    if saved == len(results):
        flash(saved_message, "info")
        return redirect(back)
    flash(_("%(ok)d of %(n)d rows saved; the others are listed below with the reason.",
            ok=saved, n=len(results)), "error")
    return render(results, 200 if saved else 422)


# --- list, create, edit ---------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    """The classes, filtered by organiser and by "open or upcoming" to choose one for a
    candidate (soonest first then), or all of them (latest first)."""
    nodes = _nodes_or_403()
    today = clock.today()
    filters = ClassFilter(request.args)
    filters.organiser.choices = options([("", "—")] + [(o.id, o.name) for o in _runners(nodes)])
    filters.validate()
    stmt = select(AwarenessClass).where(_class_scope(nodes))
    if filters.organiser.data and not filters.organiser.errors:
        stmt = stmt.where(AwarenessClass.organiser_id == filters.organiser.data)
    when = filters.when.data if not filters.when.errors else None
    if when == "open":
        stmt = stmt.where(AwarenessClass.ends_on >= today)
        order = [AwarenessClass.starts_on, AwarenessClass.id]
    else:
        if when == "ended":
            stmt = stmt.where(AwarenessClass.ends_on < today)
        order = [AwarenessClass.starts_on.desc(), AwarenessClass.id.desc()]
    total = db.session.scalar(stmt.with_only_columns(func.count(AwarenessClass.id)))
    paging = pager(total, CLASSES_PER_PAGE)
    taken = (select(Enrolment.class_id, func.count(Enrolment.id).label("n"))
             .group_by(Enrolment.class_id).subquery())
    rows = db.session.execute(paging.slice(
        stmt.add_columns(func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.class_id == AwarenessClass.id).order_by(*order))).all()
    return render_template("classes/index.html", rows=rows, total=total, paging=paging,
                           filters=filters, today=today)


def _class_form(nodes, klass: AwarenessClass | None = None) -> ClassForm:
    form = ClassForm(obj=klass) if klass is not None and request.method == "GET" else ClassForm()
    runners = [(o.id, o.name) for o in _runners(nodes)]
    if klass is not None and klass.organiser_id not in {i for i, _n in runners}:
        runners.insert(0, (klass.organiser_id, klass.organiser.name))
    form.organiser_id.choices = options(runners)
    return form


def _save(form: ClassForm, klass: AwarenessClass | None):
    """Save the class when the form is valid and the rules allow; the page otherwise."""
    if form.validate_on_submit():
        try:
            saved = svc.save_class(klass, form.values(), actor_id=current_user.id)
        except svc.ClassRefused as refused:
            form[refused.field].errors.append(refused.message)
        else:
            db.session.commit()
            flash(_("The class was saved.") if klass else _("The class was created."), "info")
            return redirect(url_for("classes.detail", class_id=saved.id))
    status = 400 if request.method == "POST" else 200
    return render_template("classes/form.html", form=form, klass=klass), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = _class_form(_nodes_or_403())
    if not form.organiser_id.choices:
        abort(403)
    return _save(form, None)


@bp.route("/<int:class_id>/edit", methods=["GET", "POST"])
@login_required
def edit(class_id: int):
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes)
    return _save(_class_form(nodes, klass), klass)


# --- the class page and bulk results --------------------------------------------------------

def _open_rows(klass: AwarenessClass, enrolments, form: ResultsForm | None) -> ResultsForm:
    """The results form: what was posted, plus a fresh row for each candidate still in the
    class that it does not carry (the certificate dated the class's last day)."""
    form = form or ResultsForm(formdata=None)
    posted = {entry.form.enrolment_id.data for entry in form.rows}
    for e in enrolments:
        if e.id not in posted and e.result == EnrolmentResult.pending \
                and e.case.state == "in_class":
            form.rows.append_entry({"enrolment_id": e.id, "version": e.case.version,
                                    "result": "", "certificate_on": klass.ends_on})
    return form


def _class_page(klass: AwarenessClass, form: ResultsForm | None = None, results=None,
                status: int = 200, logged: bool = False):
    """The class page; ``logged``: a GET, logged as a read of the candidates it lists."""
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.class_id == klass.id)
        .options(joinedload(Enrolment.case).joinedload(Case.union_unit),
                 joinedload(Enrolment.case).joinedload(Case.party_org))
        .order_by(Enrolment.id)).all()
    rules_on = rule_book()

    def valid_until(issued_on):
        try:
            return add_months(issued_on, rules_on(issued_on)["certificate_validity_months"])
        except NoRuleSet:
            return None
    today = clock.today()
    form = _open_rows(klass, enrolments, form) if klass.takes_results_on(today) else None
    page = render_template(
        "classes/detail.html", klass=klass, enrolments=enrolments, today=today,
        valid_until={e.id: valid_until(e.certificate_on) for e in enrolments
                     if e.certificate_on},
        taken=len(enrolments), form=form, results=results,
        rows={entry.form.enrolment_id.data: entry.form for entry in form.rows} if form else {},
        pending=sum(e.result == EnrolmentResult.pending for e in enrolments))
    if logged:
        log_page_read(members=[e.case.member_id for e in enrolments])
    return page, status


@bp.get("/<int:class_id>")
@login_required
def detail(class_id: int):
    nodes = _nodes_or_403()
    return _class_page(_get_class_or_404(class_id, nodes), logged=True)


@bp.post("/<int:class_id>/results")
@login_required
def results(class_id: int):
    """Three steps on one URL: the table's button shows what will be recorded (nothing is
    saved); "back" returns to the table with what was typed; "confirm" records it."""
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes, lock=True)
    form = ResultsForm()
    form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    here = url_for("classes.detail", class_id=klass.id)
    if not klass.takes_results_on(clock.today()):
        flash(str(results_not_yet(klass)), "error")
        return redirect(here)
    rows = form.chosen()
    if not rows:
        flash(_("Choose passed or not passed for at least one candidate."), "error")
        return redirect(here)
    if form.back.data:
        return _class_page(klass, form)
    if not form.confirm.data:
        plan = svc.plan_results(klass, rows, clock.today())
        return render_template("classes/confirm.html", klass=klass, form=form,
                               plan=plan), 200 if plan.passes or plan.fails else 422
    out = svc.record_results(klass, rows, current_user, clock.today())
    return _finish(out, ngettext("%(num)d result recorded.", "%(num)d results recorded.",
                                 sum(r.ok for r in out)), here,
                   lambda rows, status: _class_page(klass, form, rows, status))


# --- bulk enrolment -------------------------------------------------------------------------

def _candidates(nodes, klass: AwarenessClass):
    """Accepted cases the organiser may enrol, not yet enrolled in this class."""
    return (scoped_cases(current_user)
            .join(Case.member)
            .where(Case.state == "accepted", _under(nodes, PartyOrg.path),
                   ~exists().where(Enrolment.class_id == klass.id,
                                   Enrolment.case_id == Case.id)))


def _enrol_page(klass: AwarenessClass, nodes, results=None, status: int = 200,
                logged: bool = False):
    """The candidates to enrol; ``logged``: a GET, logged as a read of those listed."""
    query = query_text()
    stmt = _candidates(nodes, klass)
    if query:
        stmt = stmt.where(Member.search_key.contains(fold(query), autoescape=True))
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    paging = pager(total, CANDIDATES_PER_PAGE)
    cases = db.session.scalars(paging.slice(
        stmt.options(joinedload(Case.union_unit), joinedload(Case.party_org))
        .order_by(Member.search_key, Case.id))).unique().all()
    form = EnrolForm(formdata=None)
    for case in cases:
        form.rows.append_entry({"case_id": case.id, "version": case.version})
    taken = svc.taken(klass)
    rows = list(zip(cases, form.rows, strict=True))
    page = render_template("classes/enrol.html", klass=klass, rows=rows,
                           form=form, total=total, paging=paging, q=query, taken=taken,
                           left=max(klass.capacity - taken, 0), results=results,
                           ended=klass.has_ended_on(clock.today()))
    if logged:
        log_page_read(members=[case.member_id for case in cases])
    return page, status


@bp.get("/<int:class_id>/enrol")
@login_required
def enrol_page(class_id: int):
    nodes = _nodes_or_403()
    return _enrol_page(_get_class_or_404(class_id, nodes), nodes, logged=True)


@bp.post("/<int:class_id>/enrol")
@login_required
def enrol(class_id: int):
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes, lock=True)
    form = EnrolForm()
    form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    chosen = form.chosen()
    if not chosen:
        flash(_("Select at least one candidate."), "error")
        return redirect(url_for("classes.enrol_page", class_id=klass.id,
                                q=request.args.get("q") or None,
                                page=request.args.get("page") or None))
    out = svc.enrol(klass, chosen, current_user)
    return _finish(out, ngettext("%(num)d candidate enrolled.", "%(num)d candidates enrolled.",
                                 sum(r.ok for r in out)),
                   url_for("classes.detail", class_id=klass.id),
                   lambda rows, status: _enrol_page(klass, nodes, rows, status))


# --- skipping the class ---------------------------------------------------------------------

@bp.route("/skip/<int:case_id>", methods=["GET", "POST"])
@login_required
def skip(case_id: int):
    """A Party officer records a still-valid certificate: the candidate skips the class."""
    case = get_case_or_404(case_id, current_user)
    if not can(current_user, "skip_class", case):
        abort(403)
    form = SkipForm()
    if request.method == "GET":
        form.version.data = case.version
    error = None
    if form.validate_on_submit():
        data = {"certificate_no": form.certificate_no.data,
                "certificate_issuer": form.certificate_issuer.data,
                "certificate_on": form.certificate_on.data}
        try:
            fire(case, "skip_class", current_user, expected_version=form.version.data,
                 data=data)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            case = get_case_or_404(case_id, current_user)
            error = str(exc)
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 200 if request.method == "GET" else (422 if error else 400)
    months = None
    if form.certificate_on.data:
        try:
            months = rule_set_on(form.certificate_on.data)["certificate_validity_months"]
        except NoRuleSet:
            months = None
    page = render_template("classes/skip.html", case=case, form=form, error=error,
                           months=months)
    if request.method == "GET":
        log_page_read(members=[case.member_id])
    return page, status
