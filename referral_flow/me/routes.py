""""Hồ sơ của tôi": the candidate's own case in plain words: what he must do, by when, and
whom he asks; one road of the steps taken and ahead."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Case, Role
from ..security.grants import has_role
from ..services.dossier import checklist
from ..menu import nav_entry
from ..workflow.states import STATES
from ..workflow.steps import STEP
from . import road as r
from .contacts import contacts

bp = Blueprint("me", __name__, url_prefix="/me")
nav_entry("me.index", _l("My case"), lambda user: has_role(user, {Role.member}),
          home=lambda user: has_role(user, {Role.member}))


@bp.get("/")
@login_required
def index():
    cases = []
    if current_user.member_id and has_role(current_user, {Role.member}):
        # The receiving organisation comes along: its flags route the road ahead.
        cases = db.session.scalars(select(Case).where(Case.member_id == current_user.member_id)
                                   .options(joinedload(Case.party_org))
                                   .order_by(Case.id.desc())).all()
    case = cases[0] if cases else None
    if case is None:
        return render_template("me/index.html", case=None)
    today = clock.today()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
        .order_by(AuditEvent.id)).all()
    ahead = r.following(case)
    deadline, probation = r.due(case, today)
    dossier = checklist(case, today)
    return render_template(
        "me/index.html", case=case, states=STATES, step=STEP[case.state],
        next_state=ahead[0] if ahead else None, road=r.road(case, events),
        to_bring=r.to_bring(case, dossier), expiries=r.expiries(case, dossier),
        deadline=deadline, probation=probation,
        contacts=contacts(case, today), earlier=cases[1:], today=today)
