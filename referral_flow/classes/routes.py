"""Awareness classes: list, create/edit, class page, bulk enrolment, bulk results, and the
"skip the class" action for a candidate who already holds a valid certificate.

Every bulk row fires its own transition through ``fire()`` inside a SAVEPOINT: a row that
fails is rolled back alone and reported on its line; the request commits once at the end.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import (AwarenessClass, Case, Enrolment, EnrolmentResult, Member, Organisation,
                      Role, RuleSet, Tree, User)
from ..security import can, get_case_or_404, scoped_cases
from ..security.grants import granted_nodes
from ..security.scope import MAX_ID, PartyOrg
from ..services.transitions import fire
from ..text import fold
from ..web import nav_entry
from ..workflow.calendar import add_months
from ..workflow.errors import WorkflowError
from .forms import BulkForm, ClassForm, SkipForm, clean_cell

bp = Blueprint("classes", __name__, url_prefix="/classes")
CLASSES_PER_PAGE = 20
CANDIDATES_PER_PAGE = 50
MAX_ROWS = 200                 # rows one bulk request may carry
NOT_FOUND = _l("This case does not exist or is not within your organisations.")
RELOAD = _l("The form is out of date: reload the page.")


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


def _taken(class_id: int) -> int:
    return db.session.scalar(select(func.count(Enrolment.id))
                             .where(Enrolment.class_id == class_id))


def _runners(nodes) -> list[Organisation]:
    """Party nodes that run classes in the organiser's subtrees (choices of a class form)."""
    return db.session.scalars(
        select(Organisation).where(Organisation.tree == Tree.party,
                                   Organisation.runs_classes.is_(True),
                                   Organisation.closed_on.is_(None), _under(nodes))
        .order_by(Organisation.path)).all()


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(page, 1)


def _query_arg() -> str:
    # Control characters (NUL among them, which PostgreSQL refuses) never match a name.
    return "".join(ch for ch in request.args.get("q", "")
                   if unicodedata.category(ch)[0] != "C").strip()[:100]


# --- list, create, edit ---------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    nodes = _nodes_or_403()
    taken = (select(Enrolment.class_id, func.count(Enrolment.id).label("n"))
             .group_by(Enrolment.class_id).subquery())
    stmt = select(AwarenessClass).where(_class_scope(nodes))
    total = db.session.scalar(stmt.with_only_columns(func.count(AwarenessClass.id)))
    pages = max((total + CLASSES_PER_PAGE - 1) // CLASSES_PER_PAGE, 1)
    page = min(_page_arg(), pages)
    rows = db.session.execute(
        stmt.add_columns(func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.class_id == AwarenessClass.id)
        .order_by(AwarenessClass.starts_on.desc(), AwarenessClass.id.desc())
        .limit(CLASSES_PER_PAGE).offset((page - 1) * CLASSES_PER_PAGE)).all()
    return render_template("classes/index.html", rows=rows, total=total, page=page,
                           pages=pages, today=clock.today())


def _class_form(nodes, klass: AwarenessClass | None = None) -> ClassForm:
    form = ClassForm(obj=klass) if klass is not None and request.method == "GET" else ClassForm()
    runners = _runners(nodes)
    form.organiser_id.choices = [(o.id, o.name) for o in runners]
    if klass is not None and klass.organiser_id not in {o.id for o in runners}:
        form.organiser_id.choices.insert(0, (klass.organiser_id, klass.organiser.name))
    return form


def _save_class(form: ClassForm, klass: AwarenessClass) -> None:
    klass.name = form.name.data
    klass.organiser_id = form.organiser_id.data
    klass.co_organiser = form.co_organiser.data or ""
    klass.starts_on, klass.ends_on = form.starts_on.data, form.ends_on.data
    klass.place = form.place.data or ""
    klass.capacity = form.capacity.data
    klass.certificate_prefix = form.certificate_prefix.data or ""


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    nodes = _nodes_or_403()
    form = _class_form(nodes)
    if not form.organiser_id.choices:
        abort(403)
    if form.validate_on_submit():
        klass = AwarenessClass(certificate_seq=0)
        _save_class(form, klass)
        db.session.add(klass)
        db.session.commit()
        flash(_("The class was created."), "info")
        return redirect(url_for("classes.detail", class_id=klass.id))
    status = 400 if request.method == "POST" else 200
    return render_template("classes/form.html", form=form, klass=None), status


@bp.route("/<int:class_id>/edit", methods=["GET", "POST"])
@login_required
def edit(class_id: int):
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes)
    form = _class_form(nodes, klass)
    if form.validate_on_submit():
        taken = _taken(klass.id)
        if form.capacity.data < taken:
            form.capacity.errors.append(_("%(n)d candidates are already enrolled.", n=taken))
        else:
            _save_class(form, klass)
            db.session.commit()
            flash(_("The class was saved."), "info")
            return redirect(url_for("classes.detail", class_id=klass.id))
    status = 400 if request.method == "POST" else 200
    return render_template("classes/form.html", form=form, klass=klass), status


# --- the class page and bulk results --------------------------------------------------------

def _validity(rule_sets: list[RuleSet], issued_on: date | None) -> date | None:
    """The certificate's last valid day under the rule set in force on its date."""
    if issued_on is None:
        return None
    in_force = [rs for rs in rule_sets if rs.effective_from <= issued_on]
    if not in_force:
        return None
    return add_months(issued_on, in_force[-1]["certificate_validity_months"])


def _class_page(klass: AwarenessClass, results: list | None = None, values=None,
                status: int = 200):
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.class_id == klass.id)
        .options(joinedload(Enrolment.case).joinedload(Case.union_unit),
                 joinedload(Enrolment.case).joinedload(Case.party_org))
        .order_by(Enrolment.id)).all()
    rule_sets = db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from)).all()
    valid_until = {e.id: _validity(rule_sets, e.certificate_on) for e in enrolments}
    today = clock.today()
    return render_template(
        "classes/detail.html", klass=klass, enrolments=enrolments, valid_until=valid_until,
        taken=len(enrolments), form=BulkForm(), results=results, values=values or {},
        default_cert_on=min(klass.ends_on, today), today=today,
        pending=sum(e.result == EnrolmentResult.pending for e in enrolments)), status


@bp.get("/<int:class_id>")
@login_required
def detail(class_id: int):
    nodes = _nodes_or_403()
    return _class_page(_get_class_or_404(class_id, nodes))


@dataclass
class RowResult:
    case_id: int | None
    name: str
    ok: bool
    message: str


def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _fire_row(case: Case, trigger: str, version: int | None, **kw) -> str | None:
    """Fire one row in its own SAVEPOINT; the error message, or None when it was saved."""
    if version is None:
        return str(RELOAD)
    try:
        with db.session.begin_nested():
            fire(case, trigger, current_user, expected_version=version, **kw)
    except WorkflowError as exc:
        return str(exc)
    except IntegrityError:
        return _("This record clashes with one saved meanwhile (a certificate number already "
                 "used in this class?). Reload the page.")
    return None


def _finish(results: list[RowResult], saved_message: str, back: str, render):
    """Commit what was saved; PRG when every row was, else the page with the row results."""
    db.session.commit()
    saved = sum(r.ok for r in results)
    if saved == len(results):
        flash(saved_message, "info")
        return redirect(back)
    flash(_("%(ok)d of %(n)d rows saved; the others are listed below with the reason.",
            ok=saved, n=len(results)), "error")
    return render(results, 200 if saved else 422)


def _next_number(klass: AwarenessClass, used: set[str]) -> str:
    while True:
        klass.certificate_seq = (klass.certificate_seq or 0) + 1
        number = f"{klass.certificate_prefix}{klass.certificate_seq:03d}"
        if number not in used:
            return number


@bp.post("/<int:class_id>/results")
@login_required
def results(class_id: int):
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes, lock=True)
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [i for i in (_int(v) for v in request.form.getlist("row")[:MAX_ROWS]) if i]
    chosen = {i: request.form.get(f"result-{i}", "") for i in ids}
    chosen = {i: r for i, r in chosen.items() if r in ("pass", "fail")}
    if not chosen:
        flash(_("Choose passed or not passed for at least one candidate."), "error")
        return redirect(url_for("classes.detail", class_id=klass.id))
    enrolments = {e.id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.class_id == klass.id, Enrolment.id.in_(chosen))
        .options(joinedload(Enrolment.case)))}
    used = set(db.session.scalars(select(Enrolment.certificate_no).where(
        Enrolment.class_id == klass.id, Enrolment.certificate_no.is_not(None))))
    out: list[RowResult] = []
    for eid, verdict in chosen.items():
        enrolment = enrolments.get(eid)
        if enrolment is None:
            out.append(RowResult(None, "", False, str(NOT_FOUND)))
            continue
        case = enrolment.case
        name = case.member.full_name
        version = _int(request.form.get(f"version-{eid}"))
        if enrolment.result != EnrolmentResult.pending:
            out.append(RowResult(case.id, name, False, _("The result is already recorded.")))
            continue
        if verdict == "fail":
            reason, error = clean_cell(request.form.get(f"reason-{eid}"), 2000)
            error = error or (None if reason else _l("Give the reason."))
            message = str(error) if error else _fire_row(case, "fail_class", version,
                                                          comment=reason)
        else:
            message = _pass_row(klass, case, eid, version, used)
        out.append(RowResult(case.id, name, message is None, message or _("Saved.")))

    def render(rows, status):
        return _class_page(klass, rows, request.form, status)
    return _finish(out, ngettext("%(num)d result recorded.", "%(num)d results recorded.",
                                 sum(r.ok for r in out)),
                   url_for("classes.detail", class_id=klass.id), render)


def _pass_row(klass: AwarenessClass, case: Case, eid: int, version: int | None,
              used: set[str]) -> str | None:
    if version is None:
        return str(RELOAD)
    number, error = clean_cell(request.form.get(f"cert_no-{eid}"), 40)
    if error:
        return str(error)
    raw_on = (request.form.get(f"cert_on-{eid}") or "").strip()
    try:
        cert_on = date.fromisoformat(raw_on) if raw_on else None
    except ValueError:
        return _("%(field)s is not a valid date.", field=_("Certificate date"))
    if cert_on is None:
        return _("%(field)s is required.", field=_("Certificate date"))
    if cert_on < klass.starts_on:
        return _("The certificate cannot be dated before the class starts (%(d)s).",
                 d=klass.starts_on.strftime("%d/%m/%Y"))
    if number and number in used:
        return _("The certificate number %(no)s is already used in this class.", no=number)
    try:
        with db.session.begin_nested():
            number = number or _next_number(klass, used)
            fire(case, "pass_class", current_user, expected_version=version,
                 data={"certificate_no": number, "certificate_issuer": klass.organiser.name,
                       "certificate_on": cert_on})
    except WorkflowError as exc:
        return str(exc)
    except IntegrityError:
        return _("The certificate number %(no)s is already used in this class.", no=number)
    used.add(number)
    return None


# --- bulk enrolment -------------------------------------------------------------------------

def _candidates(nodes, klass: AwarenessClass):
    """Accepted cases the organiser may enrol, not yet enrolled in this class."""
    return (scoped_cases(current_user)
            .join(Case.member)
            .where(Case.state == "accepted", _under(nodes, PartyOrg.path),
                   ~exists().where(Enrolment.class_id == klass.id,
                                   Enrolment.case_id == Case.id)))


def _enrol_page(klass: AwarenessClass, nodes, results=None, status: int = 200):
    query = _query_arg()
    stmt = _candidates(nodes, klass)
    if query:
        stmt = stmt.where(Member.search_key.contains(fold(query), autoescape=True))
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    pages = max((total + CANDIDATES_PER_PAGE - 1) // CANDIDATES_PER_PAGE, 1)
    page = min(_page_arg(), pages)
    cases = db.session.scalars(
        stmt.options(joinedload(Case.union_unit), joinedload(Case.party_org))
        .order_by(Member.search_key, Case.id)
        .limit(CANDIDATES_PER_PAGE).offset((page - 1) * CANDIDATES_PER_PAGE)).unique().all()
    taken = _taken(klass.id)
    return render_template("classes/enrol.html", klass=klass, cases=cases, total=total,
                           page=page, pages=pages, q=query, taken=taken,
                           left=max(klass.capacity - taken, 0), form=BulkForm(),
                           results=results, ended=klass.has_ended_on(clock.today())), status


@bp.get("/<int:class_id>/enrol")
@login_required
def enrol_page(class_id: int):
    nodes = _nodes_or_403()
    return _enrol_page(_get_class_or_404(class_id, nodes), nodes)


@bp.post("/<int:class_id>/enrol")
@login_required
def enrol(class_id: int):
    nodes = _nodes_or_403()
    klass = _get_class_or_404(class_id, nodes, lock=True)
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    raw = request.form.getlist("case")
    ids = list(dict.fromkeys(i for i in (_int(v) for v in raw[:MAX_ROWS]) if i))
    back = url_for("classes.enrol_page", class_id=klass.id, q=request.args.get("q") or None,
                   page=request.args.get("page") or None)
    if not ids:
        flash(_("Select at least one candidate."), "error")
        return redirect(back)
    cases = {c.id: c for c in db.session.scalars(
        scoped_cases(current_user).where(Case.id.in_(ids))).unique()}
    out: list[RowResult] = []
    for cid in ids:
        case = cases.get(cid)
        if case is None:
            out.append(RowResult(None, "", False, str(NOT_FOUND)))
            continue
        message = _fire_row(case, "enroll", _int(request.form.get(f"version-{cid}")),
                            data={"class_id": klass.id})
        out.append(RowResult(case.id, case.member.full_name, message is None,
                             message or _("Enrolled.")))

    def render(rows, status):
        return _enrol_page(klass, nodes, rows, status)
    return _finish(out, ngettext("%(num)d candidate enrolled.", "%(num)d candidates enrolled.",
                                 sum(r.ok for r in out)),
                   url_for("classes.detail", class_id=klass.id), render)


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
        from ..workflow.rulesets import NoRuleSet, rule_set_on
        try:
            months = rule_set_on(form.certificate_on.data)["certificate_validity_months"]
        except NoRuleSet:
            months = None
    return render_template("classes/skip.html", case=case, form=form, error=error,
                           months=months), status
