"""The scoped case list and the case detail with its timeline."""
from __future__ import annotations

import unicodedata
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AuditEvent, Case, Member, Role, User
from ..security import allowed_triggers, get_case_or_404, scoped_cases
from ..services import audit
from ..services.deadlines import deadlines
from ..services.transitions import fire
from ..text import fold
from ..web import nav_entry
from ..workflow.calendar import load_calendar
from ..workflow.errors import WorkflowError
from ..workflow.states import STATES
from ..workflow.transitions import spec
from .forms import ActionForm

bp = Blueprint("cases", __name__, url_prefix="/cases")
nav_entry("cases.index", _l("Cases"))


@bp.get("/")
@login_required
def index():
    state = request.args.get("state", "")
    # Control characters (NUL among them, which PostgreSQL refuses) never match a name.
    query = "".join(ch for ch in request.args.get("q", "")
                    if unicodedata.category(ch)[0] != "C").strip()[:100]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["CASES_PER_PAGE"]
    stmt = scoped_cases(current_user)
    if state in STATES:
        stmt = stmt.where(Case.state == state)
    if query:
        stmt = stmt.where(Member.search_key.contains(fold(query), autoescape=True))
    stmt = stmt.join(Case.member)
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
    form = ActionForm()
    if not form.validate_on_submit():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _detail_page(case, error="; ".join(errors)), 400
    reserved = {"csrf_token", "version", "comment", "on"}
    data = {key: (values if len(values) > 1 or key == "helpers" else values[0])
            for key, values in request.form.lists() if key not in reserved}
    try:
        fire(case, trigger, current_user, expected_version=form.version.data, data=data,
             comment=form.comment.data or "", on=form.on.data)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case_id, current_user)
        return _detail_page(case, error=str(exc), failed=trigger), exc.http_status
    flash(_("Saved."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


def _detail_page(case: Case, error: str | None = None, failed: str | None = None) -> str:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
        .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)).all()
    today = date.today()
    actions = [spec(t) for t in allowed_triggers(current_user, case, today)]
    return render_template("cases/detail.html", case=case, events=events, actions=actions,
                           deadlines=deadlines(case, load_calendar(), today), states=STATES,
                           error=error, failed=failed)


def _is_own_case(user: User, case: Case) -> bool:
    return bool(user.member_id and case.member_id == user.member_id
                and all(g.role == Role.member for g in user.grants))
