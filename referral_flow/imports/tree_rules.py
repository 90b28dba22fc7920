"""Where an organisation may stand in its tree: the rank of each kind (a parent ranks
strictly above its child), the kinds that have no children and those that need no parent.
The administrator's screens create nodes by the same rules (admin/routes.py keeps its copy
until its rules move into services, issue 10 item 8); the tree import uses this one."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ..labels import KIND_LABELS
from ..models import Organisation, PartyKind, Tree, UnionKind

UNION_RANK = {UnionKind.national.value: 0, UnionKind.federation.value: 1,
              UnionKind.upper.value: 2, UnionKind.grassroots.value: 3}
PARTY_RANK = {PartyKind.provincial.value: 0, PartyKind.bloc.value: 1,
              PartyKind.commune.value: 1, PartyKind.grassroots_committee.value: 2,
              PartyKind.grassroots_cell.value: 3, PartyKind.cell.value: 3}
LEAF_KINDS = {UnionKind.grassroots.value, PartyKind.grassroots_cell.value, PartyKind.cell.value}
ROOT_KINDS = {UnionKind.national.value, UnionKind.federation.value, PartyKind.provincial.value}


def ranks(tree: Tree) -> dict[str, int]:
    return UNION_RANK if tree == Tree.union else PARTY_RANK


def placement_problem(tree: Tree, kind: str, parent: Organisation | None,
                      opened_on: date) -> object | None:
    """Why a node of ``kind`` opened on ``opened_on`` cannot stand under ``parent`` (None:
    it can). ``parent`` may be a node not yet saved."""
    rank = ranks(tree)
    if parent is None:
        return None if kind in ROOT_KINDS else _l("This kind of organisation needs a parent.")
    if parent.tree != tree:
        return _l("No organisation of this tree has this code.")
    if parent.kind in LEAF_KINDS or rank.get(parent.kind, 99) >= rank[kind]:
        return _l("A %(kind)s cannot be placed under this node.", kind=KIND_LABELS[kind])
    if not parent.is_open_on(opened_on):
        return _l("The parent is not open on the opening date.")
    return None
