"""The scoped case list and the case detail with its timeline."""
from __future__ import annotations

import unicodedata

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Case, Member, Role, User
from ..security import get_case_or_404, scoped_cases
from ..security.grants import is_staff
from ..services import audit
from ..services.deadlines import deadlines
from ..services.dossier import checklist, may_record, record_document
from ..text import fold
from ..web import nav_entry
from ..workflow.calendar import load_calendar
from ..workflow.errors import Conflict, WorkflowError
from ..workflow.rulesets import rule_book
from ..workflow.states import STATES
from ..workflow.transitions import BY_TRIGGER
from .actions import available, build_form, perform
from .export import case_export
from .forms import DocumentForm

bp = Blueprint("cases", __name__, url_prefix="/cases")
nav_entry("cases.index", _l("Cases"), is_staff)


def filtered_cases() -> tuple[Select, str, str]:
    """The user's scoped cases filtered by ``?state=`` and ``?q=`` (the list and its
    exports), with the cleaned filters."""
    state = request.args.get("state", "")
    # Control characters (NUL among them, which PostgreSQL refuses) never match a name.
    query = "".join(ch for ch in request.args.get("q", "")
                    if unicodedata.category(ch)[0] != "C").strip()[:100]
    stmt = scoped_cases(current_user)
    if state in STATES:
        stmt = stmt.where(Case.state == state)
    if query:
        stmt = stmt.where(Member.search_key.contains(fold(query), autoescape=True))
    return stmt.join(Case.member), state, query


@bp.get("/")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["CASES_PER_PAGE"]
    stmt, state, query = filtered_cases()
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    pages = max((total + per_page - 1) // per_page, 1)
    # A page past the end shows the last one; a huge ?page= must not overflow the OFFSET.
    page = min(page, pages)
    rows = db.session.scalars(
        stmt.options(joinedload(Case.union_unit), joinedload(Case.party_org))
        .order_by(Case.state_since, Case.id).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return render_template("cases/index.html", cases=rows, total=total, page=page, pages=pages,
                           state=state, q=query, states=STATES)


@bp.get("/export")
@login_required
def export():
    """All the cases of the filtered list (every page), as CSV or XLSX; logged."""
    stmt, state, query = filtered_cases()
    return case_export(stmt.order_by(Case.state_since, Case.id), "cases", "cases",
                       {"state": state if state in STATES else "", "q": query})


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int):
    case = get_case_or_404(case_id, current_user)
    page = _detail_page(case)
    if not _is_own_case(current_user, case):
        # Reads of a personal record by staff are logged (PROCESS.md §6).
        audit.append(trigger="view", subject="case_read", actor_id=current_user.id,
                     case_id=case.id)
        db.session.commit()
    return page


@bp.post("/<int:case_id>/<trigger>")
@login_required
def act(case_id: int, trigger: str):
    """Fire ``trigger``: the form carries the case version it was loaded with."""
    case = get_case_or_404(case_id, current_user)
    if trigger not in BY_TRIGGER:
        abort(404)
    form = build_form(trigger, case, formdata=request.form)
    if not form.validate_on_submit():
        return _detail_page(case, bound={trigger: form}), 400
    try:
        perform(case, trigger, current_user, form)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case_id, current_user)
        form = build_form(trigger, case, formdata=request.form)
        return _detail_page(case, bound={trigger: form}, error=str(exc),
                            conflict=isinstance(exc, Conflict)), exc.http_status
    flash(_("Saved."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/documents")
@login_required
def add_document(case_id: int):
    case = get_case_or_404(case_id, current_user)
    form = document_form(case, formdata=request.form)
    if form is None:
        abort(403)
    if not form.validate_on_submit():
        return _detail_page(case, document=form), 400
    try:
        record_document(case, current_user, {**form.data, "form_code": form.form_code.data})
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case_id, current_user)
        return _detail_page(case, document=document_form(case, request.form),
                            error=str(exc)), exc.http_status
    flash(_("Document recorded."), "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#dossier")


def document_form(case: Case, formdata=None) -> DocumentForm | None:
    """The checklist's form, offering the forms of the stages the user may record now."""
    stages = may_record(current_user, case)
    if not stages:
        return None
    form = DocumentForm(formdata=formdata, prefix="doc")
    form.form_code.choices = [(code, str(name)) for st in stages for code, name in st.forms.items()]
    return form


def _detail_page(case: Case, bound: dict | None = None, error: str | None = None,
                 conflict: bool = False, document: DocumentForm | None = None) -> str:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
        .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)).all()
    today = clock.today()
    return render_template("cases/detail.html", case=case, events=events,
                           actions=available(current_user, case, bound),
                           deadlines=deadlines(case, load_calendar(), today, rule_book()),
                           states=STATES, own=_is_own_case(current_user, case),
                           error=error, conflict=conflict, failed=next(iter(bound or {}), None),
                           checklist=checklist(case, today),
                           document=document or document_form(case))


def _is_own_case(user: User, case: Case) -> bool:
    return bool(user.member_id and case.member_id == user.member_id
                and all(g.role == Role.member for g in user.grants))
