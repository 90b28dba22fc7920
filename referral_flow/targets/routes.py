"""Targets (chỉ tiêu). A federation officer (grant on a union node; scope: its subtree)
assigns the year's targets: a bulk default for every open CĐCS under a node, and a grid of
the node's children with the roll-up of their CĐCS targets and the difference (chênh lệch).
A union chair registers his unit's own plan and sees the target assigned to it. The grid
(all its rows, not one page) downloads as CSV or XLSX, logged like the reports' exports.

Out-of-scope nodes are 404; users with neither role get 403. Every change is a POST with
CSRF, commits once with its audit events and redirects; refused input saves nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..labels import KIND_LABELS
from ..exports import Table, download_name
from ..extensions import db
from ..models import Organisation, Role, Target, Tree, UnionKind, UnitPlan, User
from ..paging import pager
from ..exports import report_export
from ..security.grants import granted_nodes, has_role
from ..security.scope import union_node_in
from ..services import targets as svc
from ..menu import nav_entry
from .forms import BulkForm, GridForm, PlanForm

bp = Blueprint("targets", __name__, url_prefix="/targets")
OFFICER = frozenset({Role.federation_officer})
CHAIR = frozenset({Role.union_chair})
GRASSROOTS = UnionKind.grassroots.value


def sees_targets(user: User) -> bool:
    return has_role(user, OFFICER | CHAIR)


nav_entry("targets.index", _l("Targets"), sees_targets)


# --- scope ------------------------------------------------------------------------------

def officer_roots() -> list[Organisation]:
    return [n for n in granted_nodes(current_user, OFFICER) if n.tree == Tree.union]


def chair_units() -> list[Organisation]:
    nodes = [n for n in granted_nodes(current_user, CHAIR) if n.tree == Tree.union]
    if not nodes:
        return []
    return list(db.session.scalars(
        select(Organisation).where(
            Organisation.tree == Tree.union, Organisation.kind == GRASSROOTS,
            or_(*[Organisation.path.startswith(n.path, autoescape=True) for n in nodes]))
        .order_by(Organisation.name, Organisation.id)))


def chosen_year(raw) -> int | None:
    """A year offered in the selector, or None."""
    try:
        year = int(str(raw).strip()) if raw is not None and len(str(raw)) <= 6 else None
    except ValueError:
        return None
    return year if year in svc.year_choices() else None


# --- the federation's grid --------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    roots = officer_roots()
    if not roots:
        if chair_units():
            return redirect(url_for("targets.plan"))
        abort(403)
    node = union_node_in(roots, request.args.get("node"))
    year = chosen_year(request.args.get("year")) or clock.today().year
    return grid_page(roots, node, year, request.args.get("page"))


@dataclass
class Grid:
    rows: list              # (child organisation, its target or None), by name
    sums: dict[int, tuple[int, int, int]]   # svc.rollup of the node and its non-CĐCS children
    own: int | None         # the node's own target
    total: int              # open children
    page: int
    pages: int


def grid_data(node: Organisation, year: int, raw_page, per_page: int | None) -> Grid:
    """The grid of ``node``'s open children for ``year``: one page of ``per_page`` rows, or
    all of them (``per_page`` None)."""
    today = clock.today()
    children = and_(Organisation.parent_id == node.id, svc.open_on(Organisation, today))
    total = db.session.scalar(select(func.count(Organisation.id)).where(children))
    stmt = (select(Organisation, Target.target)
            .outerjoin(Target, and_(Target.node_id == Organisation.id, Target.year == year))
            .where(children)
            .order_by(Organisation.name, Organisation.id))
    page, pages = 1, 1
    if per_page:
        paging = pager(total, per_page, raw_page or 1)
        page, pages, stmt = paging.page, paging.pages, paging.slice(stmt)
    rows = db.session.execute(stmt).all()
    ids = [org.id for org, _t in rows if org.kind != GRASSROOTS]
    sums = svc.rollup(ids + [node.id], year, today)
    return Grid(rows, sums, svc.target_of(node.id, year), total, page, pages)


def grid_page(roots, node, year, raw_page, *, bulk=None, grid=None, status=200):
    """The grid; ``grid`` is the posted GridForm when it was refused (typed values and
    messages are shown back)."""
    data = grid_data(node, year, raw_page, current_app.config.get("TARGETS_PER_PAGE", 100))
    if grid is None:
        grid = GridForm(formdata=None)
        for org, target in data.rows:
            grid.rows.append_entry({"node_id": org.id, "target": target})
    # The way up to the node, within the officer's scope (one query).
    ancestor_ids = [int(p) for p in node.path.strip("/").split("/") if p]
    trail = [o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ancestor_ids)))
        if any(r.contains(o) for r in roots)]
    trail.sort(key=lambda o: len(o.path))
    return render_template(
        "targets/index.html", node=node, year=year, years=svc.year_choices(), rows=data.rows,
        sums=data.sums, own=data.own, trail=trail, page=data.page, pages=data.pages,
        total=data.total, is_root=node in roots, grid=grid,
        orgs={org.id: (org, target) for org, target in data.rows},
        bulk=bulk or BulkForm(formdata=None), grassroots=GRASSROOTS), status


def grid_table(node: Organisation, year: int, grid: Grid) -> Table:
    """The node itself, then each child: its target against the CĐCS targets below it
    (blank, as "—" on the page, where there is no open CĐCS below)."""
    def row(org, target):
        rolled = grid.sums.get(org.id) if org.kind != GRASSROOTS else None
        total, units, with_target = rolled or (None, None, None)
        return [org.name, str(KIND_LABELS.get(org.kind, org.kind)), target, total, units,
                with_target, None if rolled is None else units - with_target,
                None if rolled is None or target is None else target - total]
    return Table(_("Targets for %(y)d", y=year),
                 [_("Union organisation"), _("Level"), _("Target"),
                  _("Sum of the CĐCS targets below"), _("CĐCS below"), _("CĐCS with a target"),
                  _("CĐCS without a target"), _("Difference")],
                 [row(node, grid.own)] + [row(org, target) for org, target in grid.rows])


@bp.get("/export")
@login_required
def export():
    roots = officer_roots()
    if not roots:
        abort(403)
    node = union_node_in(roots, request.args.get("node"))
    year = chosen_year(request.args.get("year")) or clock.today().year
    table = grid_table(node, year, grid_data(node, year, None, None))
    name = download_name("chi-tieu", year, None if node in roots else node.name)
    return report_export("targets", name, [table], {"node": node.id, "year": year})


def _form_scope():
    """Node, year and page posted with a form (hidden inputs); 403/404/400 when wrong."""
    roots = officer_roots()
    if not roots:
        abort(403)
    node = union_node_in(roots, request.form.get("node"))
    year = chosen_year(request.form.get("year"))
    if year is None:
        abort(400)
    return roots, node, year


@bp.post("/grid")
@login_required
def save_grid():
    roots, node, year = _form_scope()
    form = GridForm()
    page = request.form.get("page")
    valid = form.validate_on_submit()
    if form.csrf_token.errors or any(row.node_id.errors for row in form.rows):
        abort(400)                  # forged, not something a person typed
    try:
        values = svc.grid_values(node, roots, {row.node_id.data: row.target.data
                                               for row in form.rows}, clock.today())
    except svc.OutsideGrid:
        abort(400)
    if not valid:
        flash(_("Nothing was saved: correct the marked targets."), "error")
        return grid_page(roots, node, year, page, grid=form, status=400)
    try:
        changed = svc.set_targets(year, values, actor_id=current_user.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone else changed these targets at the same time. Check them and save "
                "again."), "error")
        return redirect(url_for("targets.index", node=node.id, year=year, page=page))
    if changed:
        flash(_("%(n)d targets were saved.", n=changed), "info")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("targets.index", node=node.id, year=year, page=page))


@bp.post("/bulk")
@login_required
def bulk():
    roots, node, year = _form_scope()
    form = BulkForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return grid_page(roots, node, year, None, bulk=form, status=400)
    try:
        result = svc.bulk_default(node, year, form.value.data, overwrite=bool(form.overwrite.data),
                                  actor_id=current_user.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone else changed these targets at the same time. Check them and save "
                "again."), "error")
        return redirect(url_for("targets.index", node=node.id, year=year))
    flash(_("Targets set for %(n)d CĐCS (%(new)d new, %(upd)d changed).",
            n=result.changed, new=result.inserted, upd=result.updated), "info")
    return redirect(url_for("targets.index", node=node.id, year=year))


# --- the union chair's plan -------------------------------------------------------------

def chosen_unit(units: list[Organisation], raw) -> Organisation:
    if raw in (None, ""):
        return units[0]
    unit = next((u for u in units if str(u.id) == str(raw).strip()), None)
    if unit is None:
        abort(404)
    return unit


def plan_page(units, unit, year, form, status=200):
    plan = db.session.scalars(select(UnitPlan).where(
        UnitPlan.unit_id == unit.id, UnitPlan.year == year)).first()
    return render_template(
        "targets/plan.html", units=units, unit=unit, year=year, years=svc.year_choices(),
        target=svc.target_of(unit.id, year), plan=plan, form=form), status


@bp.get("/plan")
@login_required
def plan():
    units = chair_units()
    if not units:
        abort(403)
    unit = chosen_unit(units, request.args.get("unit"))
    year = chosen_year(request.args.get("year")) or svc.default_year()
    current = db.session.scalars(select(UnitPlan).where(
        UnitPlan.unit_id == unit.id, UnitPlan.year == year)).first()
    form = PlanForm(formdata=None, obj=current)
    return plan_page(units, unit, year, form)


@bp.post("/plan")
@login_required
def save_plan():
    units = chair_units()
    if not units:
        abort(403)
    unit = chosen_unit(units, request.form.get("unit"))
    year = chosen_year(request.form.get("year"))
    if year is None:
        abort(400)
    form = PlanForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return plan_page(units, unit, year, form, 400)
    try:
        changed = svc.save_plan(unit, year, form.planned.data, form.note.data or "",
                                actor_id=current_user.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone else changed this plan at the same time. Check it and save again."),
              "error")
        return redirect(url_for("targets.plan", unit=unit.id, year=year))
    flash(_("The unit's plan was saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("targets.plan", unit=unit.id, year=year))
