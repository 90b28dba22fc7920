""""Hồ sơ của tôi": the candidate's own case, in plain words."""
from __future__ import annotations


from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Case, Role
from ..security.grants import has_role
from ..services.deadlines import deadlines
from ..menu import nav_entry
from ..workflow.calendar import load_calendar
from ..workflow.states import ORDER, STATES
from .plain import NOW, WHO_NEXT

bp = Blueprint("me", __name__, url_prefix="/me")
nav_entry("me.index", _l("My case"), lambda user: has_role(user, {Role.member}),
          home=lambda user: has_role(user, {Role.member}))

# The main road, for "what comes next" (side roads and ends have no next step).
MAIN_ROAD = ORDER[:ORDER.index("official") + 1]


@bp.get("/")
@login_required
def index():
    cases = []
    if current_user.member_id and has_role(current_user, {Role.member}):
        cases = db.session.scalars(select(Case).where(Case.member_id == current_user.member_id)
                                   .order_by(Case.id.desc())).all()
    case = cases[0] if cases else None
    events, next_state, upcoming = [], None, []
    if case is not None:
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
            .order_by(AuditEvent.id)).all()
        if case.state in MAIN_ROAD[:-1]:
            position = MAIN_ROAD.index(case.state)
            # committee review is skipped where the host cell is itself grassroots
            following = [s for s in MAIN_ROAD[position + 1:]
                         if not (s == "committee_review" and case.host_cell
                                 and case.host_cell.is_grassroots_cell)]
            next_state = following[0]
        upcoming = deadlines(case, load_calendar(), clock.today())
    return render_template("me/index.html", case=case, events=events, states=STATES, now=NOW,
                           who_next=WHO_NEXT, next_state=next_state, deadlines=upcoming,
                           earlier=cases[1:], road=MAIN_ROAD)
