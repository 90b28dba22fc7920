"""Reports for staff: the Party-side dashboard and the cohort view (PROCESS.md §4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import clock
from ..exports import Table, download_name
from ..extensions import db
from ..i18n import shown
from ..models import Organisation, Role, Tree
from ..security.grants import covers, granted_nodes, has_role, is_admin, is_staff
from ..security.scope import MAX_ID, PARTY_SIDE, UNION_SIDE
from ..menu import nav_entry
from ..read_log import log_page_read
from ..workflow.calendar import load_calendar
from ..workflow.rulesets import rule_book
from ..workflow.states import ORDER, STATES
from ..workflow.steps import STEP, STEPS
from . import queries as q
from ..exports import report_export
from ..security.reauth import fresh_authentication_required
from ..replica import from_replica

bp = Blueprint("reports", __name__, url_prefix="/reports")
nav_entry("reports.index", _l("Reports"), is_staff,
          home=lambda user: has_role(user, {Role.federation_officer}),
          home_endpoint="reports.achievement")

MAX_NODES = 500


@bp.before_request
@login_required
def staff_only():
    if not is_staff(current_user):
        abort(403)


def _nodes(tree: Tree, roles) -> list[Organisation]:
    """The nodes of ``tree`` the user may report on: an administrator any, others the
    subtrees of their grants of ``roles``."""
    stmt = select(Organisation).where(Organisation.tree == tree)
    if not is_admin(current_user):
        paths = [n.path for n in granted_nodes(current_user, roles) if n.tree == tree]
        if not paths:
            return []
        stmt = stmt.where(or_(*(Organisation.path.startswith(p, autoescape=True)
                                for p in paths)))
    return db.session.scalars(stmt.order_by(Organisation.path).limit(MAX_NODES)).all()


def _chosen(nodes: list[Organisation], tree: Tree, roles, *,
            strict: bool = False) -> Organisation | None:
    """The node of ``?node=`` when the user may report on it; None when none is asked for.
    A node outside the user's scope (or not a node id) is None, or 404 when ``strict``."""
    raw = request.args.get("node", "")
    if raw == "":
        return None
    node_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    node = next((n for n in nodes if n.id == node_id), None)
    if node is None and node_id is not None and 0 < node_id <= MAX_ID:
        found = db.session.get(Organisation, node_id)
        if found is not None and found.tree == tree and (
                is_admin(current_user) or covers(current_user, roles, found)):
            node = found
    if node is None and strict:
        abort(404)
    return node


def report_year(today: date) -> int:
    """``?year=``, or this year when it is missing or implausible."""
    year = request.args.get("year", type=int) or today.year
    return year if 1990 <= year <= today.year + 1 else today.year


@bp.get("/")
@login_required
def index():
    """The union side starts on its achievement, the Party side on what is due."""
    if is_admin(current_user) or has_role(current_user, UNION_SIDE):
        return redirect(url_for("reports.achievement"))
    return redirect(url_for("reports.party"))


TRANSFERS_TITLE = _l("Probationary members' transfers due")
# Why a step shows fewer cases than the step after it (queries.SKIPPED_BY).
SKIP_NOTES = {s.id: s.bypass_note for s in STEPS if s.bypass}
PERIOD_LABELS = {s.id: s.period for s in STEPS if s.period}


# --- the Party-side dashboard -----------------------------------------------------------

@dataclass
class PartyReport:
    nodes: list[Organisation]
    node: Organisation | None
    counts: dict[str, int]
    lists: dict[str, list]      # state -> [(case, active deadline)]
    today: date
    moving: list                # probationary members' transfers: [(request, deadline)]


def party_report(limit: int | None) -> PartyReport:
    """The dashboard of the chosen Party node (the first in scope by default; 404 for a node
    outside the user's scope), each due list cut at ``limit`` cases (None: all of them)."""
    today = clock.today()
    nodes = _nodes(Tree.party, PARTY_SIDE)
    node = _chosen(nodes, Tree.party, PARTY_SIDE, strict=True) or (nodes[0] if nodes else None)
    counts, lists, moving = {}, {}, []
    if node is not None:
        where = q.party_subtree(node)
        counts = q.state_counts(current_user, today, node)
        calendar, rules_on = load_calendar(), rule_book()
        lists = {state: q.due_list(current_user, today, where, state, calendar, rules_on,
                                   limit)
                 for state in q.DUE_LISTS}
        moving = q.transfer_due_list(node, today, calendar, rules_on, limit)
    return PartyReport(nodes, node, counts, lists, today, moving)


@bp.get("/party")
@login_required
@from_replica
def party():
    report = party_report(q.DUE_LIMIT)
    page = render_template("reports/party.html", nodes=report.nodes, node=report.node,
                           counts=report.counts, lists=report.lists, steps=STEP,
                           states=STATES, order=ORDER, limit=q.DUE_LIMIT, today=report.today,
                           moving=report.moving)
    log_page_read(members=_people(report))
    return page


def party_tables(report: PartyReport) -> list[Table]:
    counts = Table(_("Cases per step in this jurisdiction"), [_("Step"), _("Cases")],
                   [[str(STATES[s]), report.counts[s]] for s in ORDER
                    if report.counts.get(s)], sheet=_("Cases per step"))
    heads = [_("Case no."), _("Full name"), _("Union unit"), _("Receiving Party organisation"),
             _("Step"), _("Deadline"), _("Runs from"), _("Due"), _("Working days left"),
             _("Overdue by (working days)")]
    return [counts] + [
        Table(STEP[state].due_list.title, heads,
              [[case.id, case.member.full_name, case.union_unit.name, case.party_org.name,
                str(STATES[case.state]), str(due.label), due.start, due.due, due.days_left,
                due.overdue_by or None] for case, due in rows],
              sheet=STEP[state].due_list.sheet, plain=(0,))
        for state, rows in report.lists.items()] + [
        Table(TRANSFERS_TITLE, heads,
              [[t.case_id, t.case.member.full_name, t.case.union_unit.name,
                t.case.party_org.name, str(STATES[t.case.state]), str(due.label), due.start,
                due.due, due.days_left, due.overdue_by or None] for t, due in report.moving],
              sheet=_("Transfers due"), plain=(0,))]


@bp.get("/party/export")
@login_required
@fresh_authentication_required
@from_replica
def party_export():
    report = party_report(None)
    if report.node is None:
        abort(403)
    return report_export("party", download_name("tong-hop-phia-dang", report.node.name),
                         party_tables(report), {"node": report.node.id},
                         members=_people(report))


def _people(report: PartyReport) -> list[int]:
    return ([case.member_id for rows in report.lists.values() for case, _due in rows]
            + [t.case.member_id for t, _due in report.moving])


# --- the cohort and the period counts ---------------------------------------------------

@dataclass
class CohortReport:
    year: int
    nodes: list[Organisation]
    node: Organisation | None
    size: int
    rows: list[q.StepRow]
    ends: dict[str, int]
    period: dict[str, int]


def cohort_report() -> CohortReport:
    today = clock.today()
    year = report_year(today)
    nodes = _nodes(Tree.union, UNION_SIDE)
    nodes = [n for n in nodes if n.kind != "grassroots"] if len(nodes) > 50 else nodes
    node = _chosen(nodes, Tree.union, UNION_SIDE)
    size, rows, ends = q.cohort_table(current_user, today, year, node, load_calendar())
    period = q.period_counts(current_user, today, year, node)
    return CohortReport(year, nodes, node, size, rows, ends, period)


@bp.get("/cohort")
@login_required
@from_replica
def cohort():
    report = cohort_report()
    admitted = next(r for r in report.rows if r.state == "admitted")
    return render_template("reports/cohort.html", year=report.year,
                           years=range(clock.today().year, 2014, -1), nodes=report.nodes,
                           node=report.node, size=report.size, rows=report.rows,
                           ends=report.ends, period=report.period, period_labels=PERIOD_LABELS,
                           admitted=admitted, states=STATES, skip_notes=SKIP_NOTES)


def cohort_tables(report: CohortReport) -> list[Table]:
    year = report.year
    steps = Table(
        _("Cohort %(year)d: of those introduced in %(year)d", year=year),
        [_("Step"), _("Reached"), _("Share of the cohort (%(sign)s)", sign="%"),
         _("Left the step"), _("Median working days in the step"),
         _("90th percentile, working days"), _("Went past the step without it")],
        [[str(STATES[r.state]), r.reached, shown(r.share), r.completed, shown(r.median),
          shown(r.p90), r.skipped if r.state in q.SKIPPED_BY else None]
         for r in report.rows],
        sheet=_("Cohort %(year)d", year=year))
    ends = Table(_("Cohort %(year)d: closed cases", year=year), [_("Step"), _("Cases")],
                 [[str(STATES[state]), n] for state, n in report.ends.items()],
                 sheet=_("Closed cases %(year)d", year=year))
    period = Table(_("Period counts for %(year)d", year=year),
                   [_("During %(year)d", year=year), _("Cases")],
                   [[str(label), report.period[key]] for key, label in PERIOD_LABELS.items()])
    return [steps, ends, period]


@bp.get("/cohort/export")
@login_required
@from_replica
def cohort_export():
    report = cohort_report()
    name = download_name("theo-nam-gioi-thieu", report.year,
                         report.node.name if report.node else None)
    return report_export("cohort", name, cohort_tables(report),
                         {"year": report.year, "node": report.node.id if report.node else None})


from . import achievement_view  # noqa: E402,F401  (registers the dashboard on ``bp``)
