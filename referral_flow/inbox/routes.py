""""Việc của tôi": what the user may act on now, what waits on others, what the user did."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, not_, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Case
from ..paging import pager
from ..read_log import log_page_read
from ..labels import TRANSFER_KIND_LABELS
from ..models import TransferRequest
from ..security import actionable, scoped_cases
from ..security.permissions import incoming_transfers, outgoing_transfers
from ..services import tallies, transfers
from ..security.grants import has_case_work, is_staff
from ..services.deadlines import active_deadline, work_horizon
from ..menu import nav_entry
from ..workflow.calendar import load_calendar
from ..workflow.rulesets import rule_book
from ..workflow.states import OPEN, ORDER, STATES

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
nav_entry("inbox.index", _l("My work"), is_staff, home=has_case_work)

GROUPS = {
    "todo": _l("To do"),
    "watching": _l("Watching"),
    "done": _l("Handled by me"),
}


def _group_filter(group: str, today: date, horizon: date):
    if group == "todo":
        return actionable(current_user, today, horizon)
    if group == "watching":
        return Case.state.in_(OPEN) & not_(actionable(current_user, today, horizon))
    # The user's own events first (index on actor_id, case_id), not every case's trail.
    return Case.id.in_(select(AuditEvent.case_id).where(
        AuditEvent.actor_id == current_user.id, AuditEvent.subject == "case"))


def _counts(today: date, horizon: date) -> dict[str, int]:
    """Cases per tab. Work is only ever waiting in an open state, so with the scope's
    tally "watching" is the open cases less the ones to do: one count fewer, and no
    NOT over every open case of a province."""
    def count(group: str) -> int:
        return db.session.scalar(scoped_cases(current_user, today, select(func.count(Case.id)))
                                 .where(_group_filter(group, today, horizon)))
    tally = tallies.scope_counts(current_user, today)
    counts = {"todo": count("todo"), "done": count("done")}
    counts["watching"] = (count("watching") if tally is None
                          else sum(tally.get(s, 0) for s in OPEN) - counts["todo"])
    return {group: counts[group] for group in GROUPS}


@bp.get("/")
@login_required
def index():
    today = clock.today()
    calendar, rules_on = load_calendar(), rule_book()
    horizon = work_horizon(calendar, today)
    group = request.args.get("group", "todo")
    group = group if group in GROUPS else "todo"
    counts = _counts(today, horizon)
    paging = pager(counts[group], current_app.config["CASES_PER_PAGE"])
    order = [Case.state_since, Case.id] if group != "done" else [Case.state_since.desc(), Case.id]
    rows = db.session.scalars(paging.slice(
        scoped_cases(current_user, today).where(_group_filter(group, today, horizon))
        .options(joinedload(Case.union_unit), joinedload(Case.party_org))
        .order_by(*order))).unique().all()
    by_state: dict[str, list] = {}
    for case in sorted(rows, key=lambda c: ORDER.index(c.state)):
        by_state.setdefault(case.state, []).append(
            (case, active_deadline(case, calendar, today, rules_on)))
    # Transfers waiting for this user's answer (to do) or for the other side's (watching).
    moving = _transfers(group, today, calendar)
    page = render_template("inbox/index.html", groups=GROUPS, group=group, counts=counts,
                           by_state=by_state, states=STATES, page=paging.page,
                           pages=paging.pages, moving=moving, kinds=TRANSFER_KIND_LABELS)
    log_page_read(members=[case.member_id for case in rows]
                  + [t.case.member_id for t, _due in moving])
    return page


def _transfers(group: str, today: date, calendar) -> list:
    """The pending transfers of the tab, due first, each with its deadline (if any)."""
    if group == "done":
        return []
    stmt = (incoming_transfers if group == "todo" else outgoing_transfers)(current_user, today)
    found = db.session.scalars(stmt.options(
        joinedload(TransferRequest.case).joinedload(Case.union_unit))
        .order_by(TransferRequest.requested_on, TransferRequest.id)
        .limit(current_app.config["CASES_PER_PAGE"])).unique().all()
    rows = [(t, transfers.deadline(t, calendar, today)) for t in found]
    return sorted(rows, key=lambda r: (r[1] is None, r[1].due if r[1] else r[0].requested_on))
