"""Administration: the two organisation trees, users and role grants, rule sets and
holiday overrides. Administrators only. Every change is a POST with CSRF, commits once
with its audit event, and redirects with a flash message; refused input re-renders the
form (400) with the message next to the field and nothing saved."""
from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from functools import wraps

import holidays
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db, login_manager
from ..forms import EmptyForm, query_text
from ..labels import ENTERPRISE_LABELS, KIND_LABELS, ROLE_LABELS
from ..models import (EndReason, HolidayOverride, Member, Organisation, PartyKind, Role,
                      RoleGrant, RuleSet, Tree, UnionKind, User)
from ..paging import pager
from ..security.grants import is_admin
from ..services import audit
from ..services.sessions import active_sessions, current_session, end_sessions
from ..text import InvalidValue, normalise_name, validate_citizen_id
from ..menu import nav_entry
from ..workflow.calendar import WorkingCalendar
from ..workflow.rulesets import NoRuleSet, rule_set_on
from . import forms as f

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav_entry("admin.index", _l("Administration"), is_admin)

TREE_PAGE = 100
USERS_PAGE = 50
# Rank in each tree: a parent ranks strictly above its child; None: has no children.
UNION_RANK = {UnionKind.national.value: 0, UnionKind.federation.value: 1,
              UnionKind.upper.value: 2, UnionKind.grassroots.value: 3}
PARTY_RANK = {PartyKind.provincial.value: 0, PartyKind.bloc.value: 1,
              PartyKind.commune.value: 1, PartyKind.grassroots_committee.value: 2,
              PartyKind.grassroots_cell.value: 3, PartyKind.cell.value: 3}
LEAF_KINDS = {UnionKind.grassroots.value, PartyKind.grassroots_cell.value, PartyKind.cell.value}
ROOT_KINDS = {UnionKind.national.value, UnionKind.federation.value, PartyKind.provincial.value}
UNION_ROLES = {Role.federation_officer, Role.union_chair}
UNTIED_ROLES = {Role.administrator, Role.member}


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_admin(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.before_request
@admin_required
def _only_administrators():
    """Every route of the blueprint, including any added later, is for administrators."""


def _fields_ok(form) -> bool:
    return form.validate_on_submit()


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")


# --- organisations ------------------------------------------------------------------------

def _path_order():
    # Depth-first order is the byte order of the paths ("/1/4/" < "/1/40/"); PostgreSQL's
    # default collation may ignore the slashes, so ask for the "C" collation there.
    if db.session.get_bind().dialect.name == "postgresql":
        return Organisation.path.collate("C")
    return Organisation.path


def _tree_rows(tree: Tree, page_param: str, root: Organisation | None):
    stmt = select(Organisation).where(Organisation.tree == tree)
    if root is not None:
        stmt = stmt.where(Organisation.path.startswith(root.path, autoescape=True))
    total = db.session.scalar(stmt.with_only_columns(func.count(Organisation.id)))
    p = pager(total, TREE_PAGE, name=page_param)
    rows = db.session.scalars(p.slice(
        stmt.options(joinedload(Organisation.receiving_party)).order_by(_path_order()))).all()
    base = root.path.count("/") if root is not None else 2
    return {"rows": [(node, node.path.count("/") - base) for node in rows], "total": total,
            "paging": p, "root": root}


def _root_arg(name: str, tree: Tree) -> Organisation | None:
    root_id = request.args.get(name, type=int)
    if not root_id:
        return None
    node = db.session.get(Organisation, root_id)
    return node if node is not None and node.tree == tree else None


@bp.get("/organisations")
@admin_required
def organisations():
    union_root, party_root = _root_arg("union_root", Tree.union), _root_arg("party_root",
                                                                              Tree.party)
    union = _tree_rows(Tree.union, "union_page", union_root)
    party = _tree_rows(Tree.party, "party_page", party_root)
    state = {"union_root": union_root.id if union_root else None,
             "party_root": party_root.id if party_root else None,
             "union_page": union["paging"].page, "party_page": party["paging"].page}
    for name, tree in (("union", union), ("party", party)):
        # The page links keep the other list's page and both branches.
        tree["keep"] = {k: v for k, v in state.items() if k != f"{name}_page"}
        keep = {k: v for k, v in state.items()
                if k not in (f"{name}_page", f"{name}_root") and v}
        tree["whole_url"] = url_for("admin.organisations", **keep)
        tree["branch_url"] = (lambda node_id, keep=keep, arg=f"{name}_root":
                              url_for("admin.organisations", **keep, **{arg: node_id}))
    return render_template("admin/organisations.html", union=union, party=party,
                           today=clock.today(), kinds=KIND_LABELS,
                           enterprise=ENTERPRISE_LABELS, leaf_kinds=LEAF_KINDS)


def _node_by_code(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def _open_party_node(field, on: date) -> Organisation | None:
    """The open Party node whose code is in ``field``; adds the error to the field."""
    node = _node_by_code(field.data)
    if node is None:
        field.errors.append(_l("No organisation has this code."))
    elif node.tree != Tree.party:
        field.errors.append(_l("This is not a Party organisation."))
    elif not node.is_open_on(on):
        field.errors.append(_l("This Party organisation is closed."))
    else:
        return node
    return None


@bp.route("/organisations/new/<any(union, party):tree>", methods=["GET", "POST"])
@admin_required
def new_node(tree: str):
    tree = Tree(tree)
    form_class = f.UnionNodeForm if tree == Tree.union else f.PartyNodeForm
    if request.method == "GET":
        form = form_class(formdata=None, data={
            "opened_on": clock.today(), "parent_code": request.args.get("parent", "")[:40]})
        return render_template("admin/node_new.html", form=form, tree=tree.value)
    form = form_class()
    node = _create_node(form, tree, _fields_ok(form))
    if node is None:
        return render_template("admin/node_new.html", form=form, tree=tree.value), 400
    flash(_("The organisation %(name)s was created.", name=node.name), "info")
    return redirect(url_for("admin.node", node_id=node.id))


def _create_node(form, tree: Tree, fields_ok: bool) -> Organisation | None:
    """Check what needs the database (all of it, so every message shows at once) and
    save only when the fields themselves were valid too."""
    rank = UNION_RANK if tree == Tree.union else PARTY_RANK
    kind, opened_on = form.kind.data, form.opened_on.data
    if kind not in rank or opened_on is None:
        return None
    ok = fields_ok
    if form.code.data and _node_by_code(form.code.data) is not None:
        form.code.errors.append(_l("This code is already used."))
        ok = False
    parent = None
    if form.parent_code.errors:
        ok = False
    elif form.parent_code.data:
        parent = _node_by_code(form.parent_code.data)
        if parent is None or parent.tree != tree:
            form.parent_code.errors.append(_l("No organisation of this tree has this code."))
            parent, ok = None, False
        elif parent.kind in LEAF_KINDS or rank.get(parent.kind, 99) >= rank[kind]:
            form.parent_code.errors.append(_l("A %(kind)s cannot be placed under this node.",
                                              kind=KIND_LABELS[kind]))
            ok = False
        elif not parent.is_open_on(opened_on):
            form.parent_code.errors.append(
                _l("The parent is not open on the opening date."))
            ok = False
    elif kind not in ROOT_KINDS:
        form.parent_code.errors.append(_l("This kind of organisation needs a parent."))
        ok = False
    extra: dict = {}
    if tree == Tree.union and kind == UnionKind.grassroots.value:
        if not form.enterprise_kind.data:
            form.enterprise_kind.errors.append(_l("A CĐCS needs its enterprise kind."))
            ok = False
        receiving = None
        if form.receiving_code.errors:
            ok = False
        elif form.receiving_code.data:
            receiving = _open_party_node(form.receiving_code, opened_on)
            ok = ok and receiving is not None
        extra = {"enterprise_kind": form.enterprise_kind.data or None,
                 "has_party_org": form.has_party_org.data,
                 "has_youth_union": form.has_youth_union.data, "receiving_party": receiving}
    elif tree == Tree.party:
        extra = {"runs_classes": form.runs_classes.data,
                 "competent_body": form.competent_body.data,
                 "grassroots_committee": form.grassroots_committee.data,
                 "official_members": form.official_members.data,
                 "committee_members": form.committee_members.data}
    if not ok:
        return None
    node = Organisation(code=form.code.data, tree=tree, kind=kind, name=form.name.data,
                        opened_on=opened_on, **extra)
    db.session.add(node)
    try:
        db.session.flush()
    except IntegrityError:      # a concurrent request took the code
        db.session.rollback()
        form.code.errors.append(_l("This code is already used."))
        return None
    node.place_under(parent)
    audit.append(trigger="create", subject="organisation", actor_id=current_user.id,
                 data={"org_id": node.id, "code": node.code, "tree": tree.value, "kind": kind,
                       "name": node.name, "parent": parent.code if parent else None,
                       "opened_on": opened_on} | {
                     k: (v.code if isinstance(v, Organisation) else v) for k, v in extra.items()})
    db.session.commit()
    return node


def _node_or_404(node_id: int) -> Organisation:
    node = db.session.get(Organisation, node_id)
    if node is None:
        abort(404)
    return node


def _node_page(node: Organisation, posted=None, status: int = 200):
    """The node's page; ``posted`` is the form that was sent (with its errors)."""
    forms = {
        "rename": f.RenameForm(formdata=None, data={"name": node.name}),
        "close": f.CloseForm(formdata=None, data={"closed_on": clock.today()}),
        "receiving": f.ReceivingForm(formdata=None, data={
            "receiving_code": node.receiving_party.code if node.receiving_party else ""}),
    }
    if posted is not None:
        forms[posted[0]] = posted[1]
    open_children = db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.parent_id == node.id, Organisation.closed_on.is_(None)))
    return render_template("admin/node.html", node=node, forms=forms, kinds=KIND_LABELS,
                           enterprise=ENTERPRISE_LABELS, open_children=open_children,
                           is_cdcs=node.kind == UnionKind.grassroots.value,
                           leaf=node.kind in LEAF_KINDS), status


@bp.get("/organisations/<int:node_id>")
@admin_required
def node(node_id: int):
    return _node_page(_node_or_404(node_id))


@bp.post("/organisations/<int:node_id>/rename")
@admin_required
def rename_node(node_id: int):
    node = _node_or_404(node_id)
    form = f.RenameForm()
    if not _fields_ok(form):
        pass
    elif form.name.data == node.name:
        form.name.errors.append(_l("The name is unchanged."))
    else:
        old = node.name
        node.name = form.name.data
        audit.append(trigger="rename", subject="organisation", actor_id=current_user.id,
                     data={"org_id": node.id, "code": node.code, "from": old, "to": node.name})
        db.session.commit()
        flash(_("The organisation was renamed."), "info")
        return redirect(url_for("admin.node", node_id=node.id))
    return _node_page(node, ("rename", form), 400)


@bp.post("/organisations/<int:node_id>/close")
@admin_required
def close_node(node_id: int):
    node = _node_or_404(node_id)
    form = f.CloseForm()
    if _fields_ok(form):
        day = form.closed_on.data
        open_children = db.session.scalar(select(func.count(Organisation.id)).where(
            Organisation.parent_id == node.id, Organisation.closed_on.is_(None)))
        if node.closed_on is not None:
            form.closed_on.errors.append(_l("This organisation is already closed."))
        elif day <= node.opened_on:
            form.closed_on.errors.append(_l("The closing date must be after the opening date."))
        elif open_children:
            form.closed_on.errors.append(
                _l("Close or move its %(n)d open sub-organisations first.", n=open_children))
        else:
            node.closed_on = day
            audit.append(trigger="close", subject="organisation", actor_id=current_user.id,
                         data={"org_id": node.id, "code": node.code, "closed_on": day})
            db.session.commit()
            flash(_("The organisation was closed; its history is kept."), "info")
            return redirect(url_for("admin.node", node_id=node.id))
    return _node_page(node, ("close", form), 400)


@bp.post("/organisations/<int:node_id>/receiving")
@admin_required
def link_receiving(node_id: int):
    node = _node_or_404(node_id)
    form = f.ReceivingForm()
    if node.tree != Tree.union or node.kind != UnionKind.grassroots.value:
        abort(404)
    if _fields_ok(form):
        target = _open_party_node(form.receiving_code, clock.today())
        if target is not None and target.id == node.receiving_party_id:
            form.receiving_code.errors.append(_l("This is already the receiving organisation."))
        elif target is not None:
            old = node.receiving_party.code if node.receiving_party else None
            node.receiving_party = target
            audit.append(trigger="link", subject="organisation", actor_id=current_user.id,
                         data={"org_id": node.id, "code": node.code, "from": old,
                               "to": target.code})
            db.session.commit()
            flash(_("The receiving Party organisation was set to %(name)s.", name=target.name),
                  "info")
            return redirect(url_for("admin.node", node_id=node.id))
    return _node_page(node, ("receiving", form), 400)


# --- users and grants ---------------------------------------------------------------------

@bp.get("/users")
@admin_required
def users():
    q = query_text()
    stmt = select(User)
    if q:
        needle = unicodedata.normalize("NFC", q).lower()
        stmt = stmt.where(or_(func.lower(User.username).contains(needle, autoescape=True),
                              func.lower(User.full_name).contains(needle, autoescape=True)))
    total = db.session.scalar(stmt.with_only_columns(func.count(User.id)))
    p = pager(total, USERS_PAGE)
    rows = db.session.scalars(p.slice(stmt.order_by(User.username))).all()
    return render_template("admin/users.html", users=rows, q=q, total=total, paging=p,
                           roles=ROLE_LABELS, today=clock.today())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = f.UserForm()
    if _fields_ok(form):
        try:
            full_name = normalise_name(form.full_name.data)
        except InvalidValue as exc:
            form.full_name.errors.append(str(exc))
            full_name = None
        if db.session.scalar(select(User.id).where(User.username == form.username.data)):
            form.username.errors.append(_l("This username is already taken."))
        elif full_name:
            user = User(username=form.username.data, full_name=full_name,
                        work_phone=form.work_phone.data or "",
                        work_email=form.work_email.data or "", must_change_password=True)
            user.set_password(form.password.data)
            db.session.add(user)
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                form.username.errors.append(_l("This username is already taken."))
            else:
                audit.append(trigger="create", subject="user", actor_id=current_user.id,
                             data={"user_id": user.id, "username": user.username,
                                   "full_name": user.full_name})
                db.session.commit()
                flash(_("The account %(u)s was created; give it a role now.", u=user.username),
                      "info")
                return redirect(url_for("admin.user", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user: User, grant_form=None, ended: tuple[int, f.EndGrantForm] | None = None,
               status: int = 200, contact_form=None):
    """The account's page; ``ended`` is (grant id, the end form that was sent)."""
    today = clock.today()
    grant_form = grant_form or f.GrantForm(formdata=None, data={"valid_from": today})
    contact_form = contact_form or f.ContactForm(formdata=None, obj=user)
    member = db.session.get(Member, user.member_id) if user.member_id else None
    grants = sorted(user.grants, key=lambda g: (g.valid_from, g.id))
    end_forms = {g.id: f.EndGrantForm(formdata=None, data={"valid_to": today}) for g in grants}
    if ended is not None:
        end_forms[ended[0]] = ended[1]
    return render_template("admin/user.html", user=user, member=member, grants=grants,
                           grant_form=grant_form, button=EmptyForm(formdata=None),
                           contact_form=contact_form, sessions=active_sessions(user),
                           end_forms=end_forms, roles=ROLE_LABELS, today=today), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def toggle_active(user_id: int):
    user = _user_or_404(user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    user.active = not user.active
    if not user.active:
        end_sessions(user, EndReason.deactivated)
    audit.append(trigger="activate" if user.active else "deactivate", subject="user",
                 actor_id=current_user.id, data={"user_id": user.id, "username": user.username})
    db.session.commit()
    flash(_("The account was activated.") if user.active else
          _("The account was deactivated; its sessions are closed."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/contact")
@admin_required
def set_contact(user_id: int):
    """The work phone and e-mail candidates see (e.g. of their cell's secretary)."""
    user = _user_or_404(user_id)
    form = f.ContactForm()
    if not _fields_ok(form):
        return _user_page(user, contact_form=form, status=400)
    values = {"work_phone": form.work_phone.data or "", "work_email": form.work_email.data or ""}
    changed = sorted(k for k, v in values.items() if getattr(user, k) != v)
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        audit.append(trigger="contact", subject="user", actor_id=current_user.id,
                     data={"user_id": user.id, "username": user.username, "fields": changed})
        db.session.commit()
    flash(_("The work contact was saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/grants")
@admin_required
def add_grant(user_id: int):
    user = _user_or_404(user_id)
    form = f.GrantForm()
    grant = _make_grant(user, form) if _fields_ok(form) else None
    if grant is None:
        return _user_page(user, grant_form=form, status=400)
    flash(_("The role was granted."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


def _make_grant(user: User, form) -> RoleGrant | None:
    role, start, end = Role(form.role.data), form.valid_from.data, form.valid_to.data
    ok, org, member = True, None, None
    if role in UNTIED_ROLES:
        if form.org_code.data:
            form.org_code.errors.append(_l("This role is not tied to an organisation; leave "
                                           "it empty."))
            ok = False
    elif not form.org_code.data:
        form.org_code.errors.append(_l("This role needs an organisation."))
        ok = False
    else:
        org = _node_by_code(form.org_code.data)
        tree = Tree.union if role in UNION_ROLES else Tree.party
        if org is None:
            form.org_code.errors.append(_l("No organisation has this code."))
        elif org.tree != tree:
            form.org_code.errors.append(
                _l("This role is held on a union organisation.") if tree == Tree.union else
                _l("This role is held on a Party organisation."))
        elif not org.is_open_on(start):
            form.org_code.errors.append(_l("The organisation is not open on the start date."))
        ok = ok and not form.org_code.errors
    if role == Role.member:
        if form.citizen_id.data:
            try:
                validate_citizen_id(form.citizen_id.data)
            except InvalidValue as exc:
                form.citizen_id.errors.append(str(exc))
            else:
                member = db.session.scalar(
                    select(Member).where(Member.citizen_id == form.citizen_id.data))
                taken = member is not None and db.session.scalar(select(User.id).where(
                    User.member_id == member.id, User.id != user.id))
                if member is None:
                    form.citizen_id.errors.append(_l("No union member has this citizen ID."))
                elif taken:
                    form.citizen_id.errors.append(
                        _l("Another account is already linked to this member."))
        elif user.member_id is None:
            form.citizen_id.errors.append(_l("Give the member's citizen ID."))
        ok = ok and not form.citizen_id.errors
    elif form.citizen_id.data:
        form.citizen_id.errors.append(_l("Only for the member role."))
        ok = False
    org_id = org.id if org is not None else None
    if ok and any(g.role == role and g.org_id == org_id
                  and (g.valid_to is None or g.valid_to >= start)
                  and (end is None or end >= g.valid_from) for g in user.grants):
        form.role.errors.append(_l("The account already holds this role here in that period."))
        ok = False
    if not ok:
        return None
    grant = RoleGrant(role=role, org=org, valid_from=start, valid_to=end)
    user.grants.append(grant)
    if member is not None:
        user.member_id = member.id
    db.session.flush()
    audit.append(trigger="grant", subject="user", actor_id=current_user.id,
                 data={"user_id": user.id, "grant_id": grant.id, "role": role.value,
                       "org": org.code if org else None, "valid_from": start, "valid_to": end,
                       "member_id": user.member_id if role == Role.member else None})
    _cut_sessions(user, EndReason.grants_changed)
    db.session.commit()
    return grant


def _cut_sessions(user: User, reason: EndReason) -> list[int]:
    """End the account's sessions (it signs in again with what it now holds); an
    administrator acting on his own account keeps the session he is using."""
    keep = current_session(current_user) if user.id == current_user.id else None
    return end_sessions(user, reason, keep=keep)


def _end_grant(user: User, grant: RoleGrant, last_day: date) -> None:
    """Set the grant's last day, audit it and cut the account's sessions; commits."""
    old = grant.valid_to
    grant.valid_to = last_day
    audit.append(trigger="end_grant", subject="user", actor_id=current_user.id,
                 data={"user_id": user.id, "grant_id": grant.id, "role": grant.role.value,
                       "org": grant.org.code if grant.org else None, "from": old,
                       "to": last_day})
    _cut_sessions(user, EndReason.grants_changed)
    db.session.commit()


def _grant_or_404(user: User, grant_id: int) -> RoleGrant:
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        abort(404)
    return grant


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/end")
@admin_required
def end_grant(user_id: int, grant_id: int):
    user = _user_or_404(user_id)
    grant = _grant_or_404(user, grant_id)
    form = f.EndGrantForm()
    if _fields_ok(form):
        day = form.valid_to.data
        if day < grant.valid_from:
            form.valid_to.errors.append(_l("The end date is before the start date."))
        elif grant.valid_to is not None and day >= grant.valid_to:
            form.valid_to.errors.append(_l("This grant already ends on or before that day."))
        elif user.id == current_user.id and grant.role == Role.administrator:
            form.valid_to.errors.append(_l("You cannot end your own administrator role."))
        else:
            _end_grant(user, grant, day)
            flash(_("The grant ends on %(d)s.", d=day.strftime("%d/%m/%Y")), "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, ended=(grant.id, form), status=400)


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/end-now")
@admin_required
def end_grant_now(user_id: int, grant_id: int):
    """End a grant with immediate effect (F-2.4): its last day becomes yesterday, so it no
    longer counts today; a grant that started today thus never took effect. The account's
    sessions are cut at once."""
    user = _user_or_404(user_id)
    grant = _grant_or_404(user, grant_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    yesterday = clock.today() - timedelta(days=1)
    if grant.valid_to is not None and grant.valid_to <= yesterday:
        flash(_("This grant is no longer in force."), "error")
    elif user.id == current_user.id and grant.role == Role.administrator:
        flash(_("You cannot end your own administrator role."), "error")
    else:
        _end_grant(user, grant, yesterday)
        flash(_("The grant was ended; it no longer counts from now on."), "info")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/end")
@admin_required
def sign_out_everywhere(user_id: int):
    """An administrator's "sign out everywhere" (after a suspected theft, say)."""
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ended = _cut_sessions(user, EndReason.ended_by_admin)
    audit.append(trigger="end_sessions", subject="user", actor_id=current_user.id,
                 data={"user_id": user.id, "username": user.username, "sessions": ended})
    db.session.commit()
    flash(_("Sessions ended: %(n)d.", n=len(ended)), "info")
    return redirect(url_for("admin.user", user_id=user.id))


# --- rule sets ----------------------------------------------------------------------------

def _in_force(today: date) -> RuleSet | None:
    try:
        return rule_set_on(today)
    except NoRuleSet:
        return None


@bp.get("/rules")
@admin_required
def rules():
    sets = db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from)).all()
    current = _in_force(clock.today())
    extra = sorted({k for rs in sets for k in rs.params} - set(f.PARAM_LABELS))
    return render_template("admin/rules.html", sets=sets, current=current,
                           params=f.PARAMS, extra=extra, today=clock.today())


@bp.route("/rules/new", methods=["GET", "POST"])
@admin_required
def new_rule_set():
    today = clock.today()
    current = _in_force(today) or db.session.scalars(
        select(RuleSet).order_by(RuleSet.effective_from.desc()).limit(1)).first()
    params = dict(current.params) if current else {}
    form = f.rule_set_form(params, prefill=request.method == "GET")
    if request.method == "GET":
        form.effective_from.data = None
    elif _fields_ok(form):
        day = form.effective_from.data
        if day <= today:
            form.effective_from.errors.append(_l("The date must be after today."))
        elif db.session.scalar(select(RuleSet.id).where(RuleSet.effective_from == day)):
            form.effective_from.errors.append(_l("Another rule set takes effect on that day."))
        if db.session.scalar(select(RuleSet.id).where(RuleSet.code == form.code.data)):
            form.code.errors.append(_l("This code is already used."))
        if not form.effective_from.errors and not form.code.errors:
            rule_set = RuleSet(code=form.code.data, title=form.title.data, effective_from=day,
                               params=form.params(), note=form.note.data or "")
            db.session.add(rule_set)
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                form.code.errors.append(_l("This code or date is already used."))
            else:
                audit.append(trigger="create", subject="rule_set", actor_id=current_user.id,
                             rule_set=rule_set.code,
                             data={"rule_set_id": rule_set.id, "code": rule_set.code,
                                   "effective_from": day, "params": rule_set.params,
                                   "based_on": current.code if current else None})
                db.session.commit()
                flash(_("The rule set %(code)s takes effect on %(d)s.", code=rule_set.code,
                        d=day.strftime("%d/%m/%Y")), "info")
                return redirect(url_for("admin.rules"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/rule_new.html", form=form, params=f.PARAMS, current=current,
                           field_name=f.field_name), status


# --- holiday overrides --------------------------------------------------------------------

def _holiday_page(form, year: int, status: int = 200):
    rows = db.session.scalars(select(HolidayOverride).where(
        HolidayOverride.day >= date(year, 1, 1), HolidayOverride.day <= date(year, 12, 31))
        .order_by(HolidayOverride.day)).all()
    language = "vi" if str(get_locale()) == "vi" else "en_US"
    public = sorted(holidays.country_holidays("VN", years=year, language=language).items())
    return render_template("admin/holidays.html", form=form, rows=rows, year=year,
                           public=public, remove_form=EmptyForm(formdata=None)), status


def _year_arg() -> int:
    year = request.args.get("year", type=int) or clock.today().year
    return year if 1990 <= year <= 2100 else clock.today().year


@bp.get("/holidays")
@admin_required
def holiday_list():
    return _holiday_page(f.HolidayForm(formdata=None), _year_arg())


@bp.post("/holidays")
@admin_required
def add_holiday():
    form = f.HolidayForm()
    year = _year_arg()
    if _fields_ok(form):
        day, day_off = form.day.data, form.day_off.data == "1"
        year = day.year
        base_working = WorkingCalendar().is_working_day(day)
        if db.session.scalar(select(HolidayOverride.id).where(HolidayOverride.day == day)):
            form.day.errors.append(_l("This day already has an override; remove it first."))
        elif day_off and not base_working:
            form.day.errors.append(_l("This day is already a day off (weekend or public "
                                      "holiday)."))
        elif not day_off and base_working:
            form.day.errors.append(_l("This day is already a working day."))
        else:
            row = HolidayOverride(day=day, day_off=day_off, note=form.note.data or "")
            db.session.add(row)
            db.session.flush()
            audit.append(trigger="create", subject="holiday", actor_id=current_user.id,
                         data={"holiday_id": row.id, "day": day, "day_off": day_off,
                               "note": row.note})
            db.session.commit()
            flash(_("The override for %(d)s was added.", d=day.strftime("%d/%m/%Y")), "info")
            return redirect(url_for("admin.holiday_list", year=day.year))
    return _holiday_page(form, year, 400)


@bp.post("/holidays/<int:holiday_id>/remove")
@admin_required
def remove_holiday(holiday_id: int):
    row = db.session.get(HolidayOverride, holiday_id)
    if row is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    day = row.day
    audit.append(trigger="remove", subject="holiday", actor_id=current_user.id,
                 data={"holiday_id": row.id, "day": day, "day_off": row.day_off,
                       "note": row.note})
    db.session.delete(row)
    db.session.commit()
    flash(_("The override for %(d)s was removed.", d=day.strftime("%d/%m/%Y")), "info")
    return redirect(url_for("admin.holiday_list", year=day.year))


from . import reads  # noqa: E402,F401  (registers the auditor's screen on ``bp``)
from . import second_factor  # noqa: E402,F401  (registers the second factor's pages on ``bp``)
