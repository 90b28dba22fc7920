"""Reports for staff: the Party-side dashboard and the cohort view (PROCESS.md §4)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import clock
from ..extensions import db
from ..models import Organisation, Tree
from ..security.grants import covers, granted_nodes, is_admin, is_staff
from ..security.scope import PARTY_SIDE, UNION_SIDE
from ..web import nav_entry
from ..workflow.calendar import load_calendar
from ..workflow.rulesets import rule_book
from ..workflow.states import ORDER, STATES
from . import queries as q

bp = Blueprint("reports", __name__, url_prefix="/reports")
nav_entry("reports.cohort", _l("Reports"), is_staff)

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


def _chosen(nodes: list[Organisation], tree: Tree, roles) -> Organisation | None:
    node_id = request.args.get("node", type=int)
    if node_id is None:
        return None
    node = next((n for n in nodes if n.id == node_id), None)
    if node is None and 0 < node_id < 2**31:
        found = db.session.get(Organisation, node_id)
        if found is not None and found.tree == tree and (
                is_admin(current_user) or covers(current_user, roles, found)):
            node = found
    return node


@bp.get("/")
@login_required
def index():
    return cohort()


@bp.get("/party")
@login_required
def party():
    today = clock.today()
    nodes = _nodes(Tree.party, PARTY_SIDE)
    node = _chosen(nodes, Tree.party, PARTY_SIDE) or (nodes[0] if nodes else None)
    counts, lists = {}, {}
    if node is not None:
        where = q.party_subtree(node)
        counts = q.state_counts(current_user, today, where)
        calendar, rules_on = load_calendar(), rule_book()
        lists = {state: q.due_list(current_user, today, where, state, calendar, rules_on)
                 for state in q.DUE_LISTS}
    return render_template("reports/party.html", nodes=nodes, node=node, counts=counts,
                           lists=lists, states=STATES, order=ORDER, limit=q.DUE_LIMIT,
                           today=today)


@bp.get("/cohort")
@login_required
def cohort():
    today = clock.today()
    year = request.args.get("year", type=int) or today.year
    if not 1990 <= year <= today.year + 1:
        year = today.year
    nodes = _nodes(Tree.union, UNION_SIDE)
    nodes = [n for n in nodes if n.kind != "grassroots"] if len(nodes) > 50 else nodes
    node = _chosen(nodes, Tree.union, UNION_SIDE)
    where = q.union_subtree(node)
    size, rows, ends = q.cohort_table(current_user, today, year, where, load_calendar())
    period = q.period_counts(current_user, today, year, where)
    admitted = next(r for r in rows if r.state == "admitted")
    return render_template("reports/cohort.html", year=year, years=range(today.year, 2014, -1),
                           nodes=nodes, node=node, size=size, rows=rows, ends=ends,
                           period=period, admitted=admitted, states=STATES)
