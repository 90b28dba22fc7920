"""The administrator's organisation screens: both trees, a new node, a node's page with
rename, close and the receiving Party organisation. The rules are in
services/organisations.py; the reorganisation section of the node page is in
admin/reorganisation.py."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..labels import ENTERPRISE_LABELS, KIND_LABELS
from ..models import Organisation, Tree, UnionKind
from ..paging import pager
from ..services import organisations as svc
from ..services.refused import Refused
from ..workflow.guards import MEMBER_UNIT_KINDS
from . import forms as f
from .routes import admin_required, bp, show_refusal

TREE_PAGE = 100


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
                           enterprise=ENTERPRISE_LABELS, leaf_kinds=svc.LEAF_KINDS)


def _node_fields(form, tree: Tree) -> dict:
    """The node form's values, by the names ``services.organisations.create_node`` takes;
    a field the form refused is None (not known)."""
    names = (("code", "parent_code", "name", "enterprise_kind", "has_party_org",
              "has_youth_union", "receiving_code") if tree == Tree.union
             else ("code", "parent_code", "name", *svc.PARTY_FIELDS))
    text = {"code", "parent_code", "receiving_code", "enterprise_kind"}
    return {"kind": form.kind.data, "opened_on": form.opened_on.data} | {
        name: None if form[name].errors else (form[name].data or "") if name in text
        else form[name].data for name in names}


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
    fields_ok = form.validate_on_submit()
    values = _node_fields(form, tree)
    if fields_ok:
        try:
            node = svc.create_node(tree, **values, actor_id=current_user.id)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            flash(_("The organisation %(name)s was created.", name=node.name), "info")
            return redirect(url_for("admin.node", node_id=node.id))
    elif not form.kind.errors and not form.opened_on.errors:
        # The fields' own messages, and what the database says, show at once.
        values.pop("name")
        show_refusal(form, Refused(svc.check_node(tree, **values)[0].errors))
    return render_template("admin/node_new.html", form=form, tree=tree.value), 400


def node_or_404(node_id: int) -> Organisation:
    node = db.session.get(Organisation, node_id)
    if node is None:
        abort(404)
    return node


def node_page(node: Organisation, posted=None, status: int = 200):
    """The node's page; ``posted`` is (name, the form that was sent with its errors)."""
    today = clock.today()
    forms = {
        "rename": f.RenameForm(formdata=None, data={"name": node.name}),
        "close": f.CloseForm(formdata=None, data={"closed_on": today}),
        "receiving": f.ReceivingForm(formdata=None, data={
            "receiving_code": node.receiving_party.code if node.receiving_party else ""}),
        # the "Reorganise" section (admin/reorganisation.py)
        "move": f.MoveNodeForm(formdata=None, data={"effective_on": today}),
        "merge": f.MergeForm(formdata=None, data={"effective_on": today}),
        "successor": f.SuccessorForm(formdata=None, data={"effective_on": today}),
    }
    if posted is not None:
        forms[posted[0]] = posted[1]
    return render_template("admin/node.html", node=node, forms=forms, kinds=KIND_LABELS,
                           enterprise=ENTERPRISE_LABELS,
                           open_children=svc.open_children(node),
                           is_cdcs=node.kind == UnionKind.grassroots.value,
                           takes_members=node.tree == Tree.union
                           and node.kind in MEMBER_UNIT_KINDS,
                           leaf=node.kind in svc.LEAF_KINDS), status


@bp.get("/organisations/<int:node_id>")
@admin_required
def node(node_id: int):
    return node_page(node_or_404(node_id))


def node_action(node: Organisation, form, section: str, act: Callable[[], object],
                done: Callable[[object], tuple[str, Organisation]]):
    """A change from one of the node page's forms: ``act()`` (a service call, made once the
    form is valid), committed; ``done(result)`` gives the message and the node whose page
    follows. Refused or invalid: the page again, the form's errors in its ``section``."""
    if form.validate_on_submit():
        try:
            result = act()
        except Refused as refused:
            show_refusal(form, refused)
        else:
            db.session.commit()
            message, shown = done(result)
            flash(message, "info")
            return redirect(url_for("admin.node", node_id=shown.id))
    return node_page(node, (section, form), 400)


@bp.post("/organisations/<int:node_id>/rename")
@admin_required
def rename_node(node_id: int):
    node = node_or_404(node_id)
    form = f.RenameForm()
    return node_action(
        node, form, "rename",
        lambda: svc.rename_node(node, form.name.data, actor_id=current_user.id),
        lambda _result: (_("The organisation was renamed."), node))


@bp.post("/organisations/<int:node_id>/close")
@admin_required
def close_node(node_id: int):
    node = node_or_404(node_id)
    form = f.CloseForm()
    return node_action(
        node, form, "close",
        lambda: svc.close_node(node, form.closed_on.data, actor_id=current_user.id),
        lambda _result: (_("The organisation was closed; its history is kept."), node))


@bp.post("/organisations/<int:node_id>/receiving")
@admin_required
def link_receiving(node_id: int):
    node = node_or_404(node_id)
    if node.tree != Tree.union or node.kind not in MEMBER_UNIT_KINDS:
        abort(404)
    form = f.ReceivingForm()
    return node_action(
        node, form, "receiving",
        lambda: svc.link_receiving(node, form.receiving_code.data, on=clock.today(),
                                   actor_id=current_user.id),
        lambda _result: (_("The receiving Party organisation was set to %(name)s.",
                           name=node.receiving_party.name), node))
