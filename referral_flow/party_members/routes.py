"""The Party members of each cell (its roster): the cell's secretary, a Party officer of a
committee above it and administrators list, add, edit and mark members as left.

Scope: a cell outside the user's grants is a 404; a user with none of those roles gets 403
on every page here. Every change is audited (subject "party_member"); each roster page and
each member's page a staff user reads is logged once in the read log (read_log.py). A kept
roster sets the cell's number of official members (services/party_members.py).
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import aliased

from .. import clock
from ..extensions import db
from ..models import Organisation, PartyMember, PartyStatus, Role
from ..security.grants import granted_nodes, is_admin, keeps_rosters
from ..security.scope import MAX_ID
from ..services import party_members
from ..text import fold
from ..menu import nav_entry
from ..workflow.guards import CELL_KINDS
from ..forms import EmptyForm, query_text
from ..paging import pager
from ..read_log import log_page_read
from .forms import LeftForm, PartyMemberForm

bp = Blueprint("party_members", __name__, url_prefix="/party-members")
nav_entry("party_members.index", _l("Party members"), keeps_rosters)


# --- scope ------------------------------------------------------------------------------

def cell_scope() -> ColumnElement[bool]:
    """The cells whose roster the current user keeps, as a filter on Organisation;
    403 when he keeps none."""
    if is_admin(current_user):
        return true()
    secretary = [n.id for n in granted_nodes(current_user, {Role.cell_secretary})]
    officer = [n.path for n in granted_nodes(current_user, {Role.party_officer})]
    if not (secretary or officer):
        abort(403)
    return or_(Organisation.id.in_(secretary) if secretary else false(),
               *[Organisation.path.startswith(p, autoescape=True) for p in officer])


def cell_or_404(cell_id: int) -> Organisation:
    scope = cell_scope()
    if not 0 < cell_id <= MAX_ID:
        abort(404)
    cell = db.session.scalars(select(Organisation).where(
        Organisation.id == cell_id, Organisation.kind.in_(CELL_KINDS), scope)).first()
    if cell is None:
        abort(404)
    return cell


def person_or_404(person_id: int) -> PartyMember:
    scope = cell_scope()
    if not 0 < person_id <= MAX_ID:
        abort(404)
    person = db.session.scalars(select(PartyMember).join(PartyMember.cell).where(
        PartyMember.id == person_id, scope)).first()
    if person is None:
        abort(404)
    return person


# --- the cells --------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    """The cells in scope with their counts; a user who keeps one cell goes straight to it."""
    scope = cell_scope()
    q = query_text()
    where = [Organisation.kind.in_(CELL_KINDS), scope]
    if q:
        where.append(func.lower(Organisation.name).contains(q.lower(), autoescape=True))
    total = db.session.scalar(select(func.count(Organisation.id)).where(*where))
    if total == 1 and not q:
        only = db.session.scalar(select(Organisation.id).where(*where))
        return redirect(url_for("party_members.roster", cell_id=only))
    paging = pager(total, current_app.config.get("MEMBERS_PER_PAGE", 50))
    listed = (select(func.count(PartyMember.id)).where(
        PartyMember.cell_id == Organisation.id, PartyMember.status == PartyStatus.official,
        PartyMember.left_on.is_(None)).correlate(Organisation).scalar_subquery())
    parent = aliased(Organisation)
    rows = db.session.execute(paging.slice(
        select(Organisation, parent.name, listed)
        .outerjoin(parent, parent.id == Organisation.parent_id).where(*where)
        .order_by(Organisation.closed_on.is_not(None), Organisation.name, Organisation.id))
    ).all()
    return render_template("party_members/index.html", rows=rows, total=total, page=paging.page,
                           pages=paging.pages, q=q, today=clock.today())


# --- one cell's roster ------------------------------------------------------------------

@bp.get("/cells/<int:cell_id>")
@login_required
def roster(cell_id: int):
    cell = cell_or_404(cell_id)
    q = query_text()
    show_left = request.args.get("left") == "1"
    where = [PartyMember.cell_id == cell.id]
    if not show_left:
        where.append(PartyMember.left_on.is_(None))
    if q:
        where.append(PartyMember.search_key.contains(fold(q), autoescape=True))
    total = db.session.scalar(select(func.count(PartyMember.id)).where(*where))
    paging = pager(total, current_app.config.get("MEMBERS_PER_PAGE", 50))
    page, pages = paging.page, paging.pages
    people = db.session.scalars(paging.slice(
        select(PartyMember).where(*where)
        .order_by(PartyMember.left_on.is_not(None), PartyMember.search_key, PartyMember.id))
    ).all()
    counts = dict(db.session.execute(
        select(PartyMember.status, func.count(PartyMember.id))
        .where(PartyMember.cell_id == cell.id, PartyMember.left_on.is_(None))
        .group_by(PartyMember.status)).all())
    shown = render_template(
        "party_members/roster.html", cell=cell, people=people, total=total, page=page,
        pages=pages, q=q, show_left=show_left, button=EmptyForm(),
        officials=counts.get(PartyStatus.official, 0),
        probationary=counts.get(PartyStatus.probationary, 0),
        may_add=cell.is_open_on(clock.today()))
    # Reads of a roster by staff are logged, once per page (PROCESS.md §6).
    log_page_read(party_members=[person.id for person in people])
    return shown


# --- add, edit, leave -------------------------------------------------------------------

def _form_page(form: PartyMemberForm, cell: Organisation, person: PartyMember | None = None,
               left: LeftForm | None = None, status: int = 200):
    if person is not None and person.left_on is None and left is None:
        left = LeftForm(formdata=None, data={"left_on": clock.today()},
                        since=person.official_since)
    return render_template("party_members/form.html", form=form, cell=cell, person=person,
                           left=left, today_iso=clock.today().isoformat()), status


@bp.route("/cells/<int:cell_id>/new", methods=["GET", "POST"])
@login_required
def create(cell_id: int):
    cell = cell_or_404(cell_id)
    if not cell.is_open_on(clock.today()):
        flash(_("The cell is closed: no member can be added."), "error")
        return redirect(url_for("party_members.roster", cell_id=cell.id))
    form = PartyMemberForm()
    if request.method == "GET":
        form.status.data = PartyStatus.official.value
        return _form_page(form, cell)
    if not form.validate_on_submit():
        return _form_page(form, cell, status=400)
    person = party_members.add(cell, form.values(), current_user)
    db.session.commit()
    flash(_("%(name)s was added to the cell's roster.", name=person.full_name), "info")
    return redirect(url_for("party_members.roster", cell_id=cell.id))


def _filled(person: PartyMember) -> PartyMemberForm:
    form = PartyMemberForm(formdata=None, obj=person)
    form.status.data = person.status.value
    return form


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int):
    person = person_or_404(person_id)
    if request.method == "GET":
        page = _form_page(_filled(person), person.cell, person)
        log_page_read(party_members=[person.id])
        return page
    form = PartyMemberForm()
    if not form.validate_on_submit():
        return _form_page(form, person.cell, person, status=400)
    changed = party_members.edit(person, form.values(), current_user)
    db.session.commit()
    flash(_("The Party member's details were saved.") if changed else _("Nothing was changed."),
          "info")
    return redirect(url_for("party_members.roster", cell_id=person.cell_id))


@bp.post("/<int:person_id>/left")
@login_required
def left(person_id: int):
    person = person_or_404(person_id)
    if person.left_on is not None:
        flash(_("%(name)s has already left the cell.", name=person.full_name), "error")
        return redirect(url_for("party_members.roster", cell_id=person.cell_id))
    form = LeftForm(since=person.official_since)
    if not form.validate_on_submit():
        return _form_page(_filled(person), person.cell, person, left=form, status=400)
    party_members.mark_left(person, form.left_on.data, current_user)
    db.session.commit()
    flash(_("%(name)s was marked as having left the cell on %(d)s.", name=person.full_name,
            d=person.left_on.strftime("%d/%m/%Y")), "info")
    return redirect(url_for("party_members.roster", cell_id=person.cell_id))


@bp.post("/cells/<int:cell_id>/keep")
@login_required
def keep(cell_id: int):
    cell = cell_or_404(cell_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not cell.roster_kept:
        party_members.keep_roster(cell, current_user)
        db.session.commit()
    flash(_("From now on the cell's number of official members follows this list: %(n)d.",
            n=cell.official_members or 0), "info")
    return redirect(url_for("party_members.roster", cell_id=cell.id))
