"""The two organisation trees: create a node under the tree's rank rules, rename, close,
link a CĐCS to its receiving Party organisation. Shared by the administrator's screens,
tree imports and reorganisations (services/reorganisation.py). Each verb checks its rules,
raises ``Refused`` (Vietnamese messages by field) or changes the node with one audit event;
it flushes and never commits."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..labels import KIND_LABELS
from ..models import Organisation, PartyKind, Tree, UnionKind
from . import audit
from .refused import Problems, Refused

# Rank in each tree: a parent ranks strictly above its child.
UNION_RANK = {UnionKind.national.value: 0, UnionKind.federation.value: 1,
              UnionKind.upper.value: 2, UnionKind.grassroots.value: 3}
PARTY_RANK = {PartyKind.provincial.value: 0, PartyKind.bloc.value: 1,
              PartyKind.commune.value: 1, PartyKind.grassroots_committee.value: 2,
              PartyKind.grassroots_cell.value: 3, PartyKind.cell.value: 3}
RANKS = {Tree.union: UNION_RANK, Tree.party: PARTY_RANK}
# Kinds that have no children, and kinds that may stand without a parent.
LEAF_KINDS = {UnionKind.grassroots.value, PartyKind.grassroots_cell.value, PartyKind.cell.value}
ROOT_KINDS = {UnionKind.national.value, UnionKind.federation.value, PartyKind.provincial.value}
# The fields a Party node carries besides its code, name, kind and dates.
PARTY_FIELDS = ("runs_classes", "competent_body", "grassroots_committee",
                "authorised_to_admit", "official_members", "committee_members")


def node_by_code(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def open_children(node: Organisation) -> int:
    return db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.parent_id == node.id, Organisation.closed_on.is_(None))) or 0


def open_party_node(code: str, on: date, field: str = "receiving_code") -> Organisation:
    """The Party node with ``code``, open on ``on``; else ``Refused`` on ``field``."""
    node = node_by_code(code)
    if node is None:
        raise Refused.on(field, _l("No organisation has this code."))
    if node.tree != Tree.party:
        raise Refused.on(field, _l("This is not a Party organisation."))
    if not node.is_open_on(on):
        raise Refused.on(field, _l("This Party organisation is closed."))
    return node


def may_hold(parent: Organisation, kind: str) -> bool:
    """Whether a node of ``kind`` may stand under ``parent`` (same tree, higher rank)."""
    rank = RANKS[parent.tree]
    return (kind in rank and parent.kind not in LEAF_KINDS
            and rank.get(parent.kind, 99) < rank[kind])


def placement_problem(tree: Tree, kind: str, parent: Organisation | None,
                      opened_on: date) -> object | None:
    """Why a node of ``kind`` opened on ``opened_on`` cannot stand under ``parent`` (None:
    it can). ``parent`` may be a node not yet saved (a tree import's earlier row)."""
    if parent is None:
        return None if kind in ROOT_KINDS else _l("This kind of organisation needs a parent.")
    if parent.tree != tree:
        return _l("No organisation of this tree has this code.")
    if not may_hold(parent, kind):
        return _l("A %(kind)s cannot be placed under this node.", kind=KIND_LABELS[kind])
    if not parent.is_open_on(opened_on):
        return _l("The parent is not open on the opening date.")
    return None


def _parent(problems: Problems, tree: Tree, kind: str, code: str | None,
            opened_on: date) -> Organisation | None:
    if code is None:        # not known (the field itself was refused)
        return None
    parent = node_by_code(code) if code else None
    if code and parent is None:
        problems.add("parent_code", _l("No organisation of this tree has this code."))
        return None
    problem = placement_problem(tree, kind, parent, opened_on)
    if problem is not None:
        problems.add("parent_code", problem)
    return parent if parent is not None and parent.tree == tree else None


def _fields(problems: Problems, tree: Tree, kind: str, opened_on: date, given: dict) -> dict:
    """The kind's own fields from ``given`` (the receiving organisation by its code)."""
    if tree == Tree.party:
        return {name: given.get(name) for name in PARTY_FIELDS}
    if kind != UnionKind.grassroots.value:
        return {}
    if given.get("enterprise_kind") == "":
        problems.add("enterprise_kind", _l("A CĐCS needs its enterprise kind."))
    receiving = None
    if given.get("receiving_code"):
        try:
            receiving = open_party_node(given["receiving_code"], opened_on)
        except Refused as refused:
            problems.errors.update(refused.errors)
    return {"enterprise_kind": given.get("enterprise_kind") or None,
            "has_party_org": given.get("has_party_org"),
            "has_youth_union": bool(given.get("has_youth_union")),
            "receiving_party": receiving}


def check_node(tree: Tree, *, kind: str, code: str | None, opened_on: date,
               parent_code: str | None = "", **given) -> tuple[Problems, Organisation | None,
                                                               dict]:
    """What breaks the rules for a new node, its parent and its own fields. A value given as
    None is not known (a form shows its own message for it) and is not checked."""
    problems = Problems()
    if kind not in RANKS[tree]:
        problems.add("kind", _l("This kind of organisation does not belong to this tree."))
        return problems, None, {}
    if code is not None and node_by_code(code) is not None:
        problems.add("code", _l("This code is already used."))
    parent = _parent(problems, tree, kind, parent_code, opened_on)
    return problems, parent, _fields(problems, tree, kind, opened_on, given)


def create_node(tree: Tree, *, kind: str, code: str, name: str, opened_on: date,
                parent_code: str = "", actor_id: int | None, **given) -> Organisation:
    """A new node of ``tree`` under the node ``parent_code`` (empty: a root), open from
    ``opened_on``. ``given`` holds the kind's own fields: a CĐCS's ``enterprise_kind``,
    ``has_party_org``, ``has_youth_union`` and ``receiving_code``; a Party node's
    ``runs_classes``, ``competent_body``, ``grassroots_committee``, ``authorised_to_admit``,
    ``official_members`` and
    ``committee_members``. Every broken rule is reported at once (``Refused``)."""
    problems, parent, extra = check_node(tree, kind=kind, code=code, opened_on=opened_on,
                                         parent_code=parent_code, **given)
    problems.raise_any()
    node = Organisation(code=code, tree=tree, kind=kind, name=name, opened_on=opened_on,
                        **extra)
    try:
        with db.session.begin_nested():
            db.session.add(node)
            db.session.flush()
    except IntegrityError:      # a concurrent request took the code
        raise Refused.on("code", _l("This code is already used.")) from None
    node.place_under(parent)
    audit.append(trigger="create", subject="organisation", actor_id=actor_id,
                 data={"org_id": node.id, "code": node.code, "tree": tree.value, "kind": kind,
                       "name": node.name, "parent": parent.code if parent else None,
                       "opened_on": opened_on} | {
                     k: (v.code if isinstance(v, Organisation) else v) for k, v in extra.items()})
    return node


def rename_node(node: Organisation, name: str, *, actor_id: int | None) -> None:
    if name == node.name:
        raise Refused.on("name", _l("The name is unchanged."))
    old, node.name = node.name, name
    audit.append(trigger="rename", subject="organisation", actor_id=actor_id,
                 data={"org_id": node.id, "code": node.code, "from": old, "to": node.name})


def closing_problems(node: Organisation, on: date, field: str = "closed_on") -> Problems:
    """Why ``node`` cannot close on ``on`` (its first day closed), if it cannot."""
    problems = Problems()
    if node.closed_on is not None:
        problems.add(field, _l("This organisation is already closed."))
    elif on <= node.opened_on:
        problems.add(field, _l("The closing date must be after the opening date."))
    return problems


def close_node(node: Organisation, on: date, *, actor_id: int | None) -> None:
    """Close a node that has no open children; its history is kept."""
    problems = closing_problems(node, on)
    if not problems and (children := open_children(node)):
        problems.add("closed_on", _l("Close or move its %(n)d open sub-organisations first.",
                                     n=children))
    problems.raise_any()
    node.closed_on = on
    audit.append(trigger="close", subject="organisation", actor_id=actor_id,
                 data={"org_id": node.id, "code": node.code, "closed_on": on})


def link_receiving(node: Organisation, code: str, *, on: date, actor_id: int | None) -> None:
    """Make the open Party node ``code`` the CĐCS's receiving organisation."""
    target = open_party_node(code, on)
    if target.id == node.receiving_party_id:
        raise Refused.on("receiving_code", _l("This is already the receiving organisation."))
    old = node.receiving_party.code if node.receiving_party else None
    node.receiving_party = target
    audit.append(trigger="link", subject="organisation", actor_id=actor_id,
                 data={"org_id": node.id, "code": node.code, "from": old, "to": target.code})
