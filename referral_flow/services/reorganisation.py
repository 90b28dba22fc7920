"""Reorganising the trees on an effective date: move a node under another parent, merge
units into a successor, close a node with a successor (PROCESS.md §1, issue 10 item 4).

Past reports must not change. A report places a case at the node it was at on a day
(``placement.union_unit_on``) and rolls nodes up by their materialised path, so:

* a node with history (cases, grants or targets in its subtree) keeps its path for ever; it
  is closed on the effective date with ``successor_id``, and what is still open follows the
  successor;
* "moving" a node with history creates its successor under the new parent (the code the
  administrator gives, the same name and fields) and closes the old one into it; a node
  without history is simply re-parented, with its subtree's paths;
* the open children of a closed node go under the successor the same way: re-parented when
  they have no history, else continued by a successor of their own whose code is theirs with
  the effective year (``derived_code``), so that a commune union's CĐCS keep their past.

On the effective date (its first day): the open cases of a closed node move to the successor
(``placement.move_case``: union unit, Party organisation, host cell); the union members of a
closed CĐCS and the CĐCS a closed Party node received for follow it; its targets for the
effective year and later are added to the successor's (one row per year: nothing counted
twice); finished cases, past targets and every past event stay with the old node. Grants:
see ``_move_grants``. Each operation is one audit event naming the nodes and the counts
(the moved cases also get their own "move" event).

A reorganisation is recorded on or after the day it takes effect: a future date is refused
(nothing here runs by itself on a later day). Flushes, never commits; refusals raise
``Refused`` with Vietnamese messages by form field.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, literal, or_, select, update

from ..extensions import db
from ..models import (Case, CaseMove, Member, MoveKind, Organisation, RoleGrant, Target,
                      Tree, User)
from ..workflow.states import FINAL
from . import audit
from .organisations import RANKS, closing_problems, may_hold, node_by_code
from .placement import move_case
from .refused import Problems, Refused

# The Organisation columns a successor copies from the node it continues.
COPIED = ("kind", "name", "tree", "enterprise_kind", "has_party_org", "has_youth_union",
          "receiving_party_id", "runs_classes", "competent_body", "grassroots_committee",
          "official_members", "committee_members")


@dataclass
class Outcome:
    """What one reorganisation did: the counts and the successors it created."""
    counts: Counter = field(default_factory=Counter)
    created: list[tuple[str, str]] = field(default_factory=list)    # (old code, new code)
    node: Organisation | None = None        # the node that now stands (moved or successor)


def subtree_ids(node: Organisation):
    return select(Organisation.id).where(Organisation.path.startswith(node.path,
                                                                      autoescape=True))


def has_history(node: Organisation) -> bool:
    """Whether a case, a case move, a role grant or a target names a node of the subtree:
    then the subtree's paths are what past reports and scopes were computed with."""
    ids = subtree_ids(node)
    named = (
        exists().where(or_(Case.union_unit_id.in_(ids), Case.party_org_id.in_(ids),
                           Case.host_cell_id.in_(ids))),
        exists().where(or_(CaseMove.from_union_id.in_(ids), CaseMove.from_party_id.in_(ids),
                           CaseMove.from_cell_id.in_(ids))),
        exists().where(RoleGrant.org_id.in_(ids)),
        exists().where(Target.node_id.in_(ids)),
    )
    return bool(db.session.scalar(select(or_(*named))))


def _date_problems(problems: Problems, node: Organisation, on: date, today: date,
                   field_name: str = "effective_on") -> None:
    if on > today:
        problems.add(field_name, _l("The effective date cannot be in the future: record the "
                                    "reorganisation on or after the day it takes effect."))
    else:
        problems.errors.update(closing_problems(node, on, field_name).errors)


def _successor_problems(problems: Problems, node: Organisation, successor: Organisation,
                        on: date, field_name: str) -> None:
    if successor.tree != node.tree:
        problems.add(field_name, _l("The successor must be in the same tree."))
    elif successor.id == node.id or node.contains(successor):
        problems.add(field_name, _l("The successor cannot be the organisation itself or one "
                                    "of its sub-organisations."))
    elif successor.closed_on is not None and successor.closed_on <= on:
        problems.add(field_name, _l("The successor is closed."))
    elif not successor.is_open_on(on):
        problems.add(field_name, _l("The successor is not open on the effective date."))
    elif RANKS[node.tree].get(successor.kind) != RANKS[node.tree].get(node.kind):
        problems.add(field_name, _l("The successor must be at the same level of the tree."))


def _node(code: str, field_name: str) -> Organisation:
    node = node_by_code(code)
    if node is None:
        raise Refused.on(field_name, _l("No organisation has this code."))
    return node


# --- the three operations -------------------------------------------------------------------

def merge(codes: list[str], successor: Organisation, *, on: date, today: date, reason: str,
          actor: User) -> Outcome:
    """Close the nodes ``codes`` on ``on`` into ``successor`` (an open node of the same tree
    and level); their open work follows it."""
    problems = Problems()
    nodes = []
    for code in dict.fromkeys(codes):
        node = _node(code, "codes")
        nodes.append(node)
        _successor_problems(problems, node, successor, on, "codes")
        _date_problems(problems, node, on, today)
    if not nodes:
        problems.add("codes", _l("Give the codes of the organisations to merge."))
    problems.raise_any()
    outcome = Outcome(node=successor)
    for node in nodes:
        _retire(node, successor, on, reason, actor, outcome)
    _audit("merge", nodes, successor, on, reason, actor, outcome)
    return outcome


def close_with_successor(node: Organisation, successor_code: str, *, on: date, today: date,
                         reason: str, actor: User) -> Outcome:
    """Close ``node`` on ``on``; the node ``successor_code`` carries its open work."""
    successor = _node(successor_code, "successor_code")
    problems = Problems()
    _successor_problems(problems, node, successor, on, "successor_code")
    _date_problems(problems, node, on, today)
    problems.raise_any()
    outcome = Outcome(node=successor)
    _retire(node, successor, on, reason, actor, outcome)
    _audit("close_with_successor", [node], successor, on, reason, actor, outcome)
    return outcome


def move_node(node: Organisation, parent_code: str, *, new_code: str, on: date, today: date,
              reason: str, actor: User) -> Outcome:
    """Put ``node`` under the node ``parent_code`` from ``on``. With history, its successor
    ``new_code`` is created there and ``node`` closes into it; else it is re-parented."""
    parent = _node(parent_code, "parent_code")
    problems = Problems()
    if parent.tree != node.tree:
        problems.add("parent_code", _l("No organisation of this tree has this code."))
    elif node.contains(parent):
        problems.add("parent_code", _l("An organisation cannot be placed under itself or one "
                                       "of its sub-organisations."))
    elif parent.id == node.parent_id:
        problems.add("parent_code", _l("The organisation is already under this parent."))
    elif not may_hold(parent, node.kind):
        problems.add("parent_code", _l("This organisation cannot be placed under this node."))
    elif not parent.is_open_on(on):
        problems.add("parent_code", _l("The parent is not open on the effective date."))
    _date_problems(problems, node, on, today)
    history = has_history(node)
    if history and not new_code:
        problems.add("new_code", _l("This organisation has history: give the code of the "
                                    "organisation that continues it under the new parent."))
    elif history and node_by_code(new_code) is not None:
        problems.add("new_code", _l("This code is already used."))
    problems.raise_any()
    outcome = Outcome()
    if history:
        successor = _successor_of(node, parent, new_code, on)
        outcome.created.append((node.code, successor.code))
        _retire(node, successor, on, reason, actor, outcome)
        outcome.node = successor
    else:
        old_parent = node.parent
        _reparent(node, parent)
        outcome.counts["re-parented"] += 1
        outcome.node = node
        audit.append(trigger="move", subject="organisation", actor_id=actor.id, comment=reason,
                     data={"org_id": node.id, "code": node.code, "effective_on": on,
                           "from": old_parent.code if old_parent else None,
                           "to": parent.code})
        return outcome
    _audit("move", [node], outcome.node, on, reason, actor, outcome, parent=parent)
    return outcome


# --- what closing into a successor does -------------------------------------------------------

def _retire(node: Organisation, successor: Organisation, on: date, reason: str, actor: User,
            outcome: Outcome) -> None:
    node.closed_on, node.successor = on, successor
    db.session.flush()
    _move_cases(node, successor, on, reason, actor, outcome)
    _move_grants(node, successor, on, outcome)
    _move_targets(node, successor, on, outcome)
    if node.tree == Tree.union:
        outcome.counts["members"] += db.session.execute(
            update(Member).where(Member.unit_id == node.id).values(unit_id=successor.id)
            .execution_options(synchronize_session="fetch")).rowcount
    else:
        outcome.counts["receiving links"] += db.session.execute(
            update(Organisation).where(Organisation.receiving_party_id == node.id,
                                       Organisation.closed_on.is_(None))
            .values(receiving_party_id=successor.id)
            .execution_options(synchronize_session="fetch")).rowcount
    children = db.session.scalars(select(Organisation).where(
        Organisation.parent_id == node.id,
        or_(Organisation.closed_on.is_(None), Organisation.closed_on > on))
        .order_by(Organisation.id)).all()
    for child in children:
        if has_history(child):
            twin = _successor_of(child, successor, derived_code(child.code, on), on)
            outcome.created.append((child.code, twin.code))
            _retire(child, twin, on, reason, actor, outcome)
        else:
            _reparent(child, successor)
            outcome.counts["re-parented"] += 1


def _move_cases(node: Organisation, successor: Organisation, on: date, reason: str,
                actor: User, outcome: Outcome) -> None:
    cases = db.session.scalars(select(Case).where(
        Case.state.not_in(FINAL),
        or_(Case.union_unit_id == node.id, Case.party_org_id == node.id,
            Case.host_cell_id == node.id)).order_by(Case.id)).all()
    for case in cases:
        places = {"union_unit": case.union_unit_id, "party_org": case.party_org_id,
                  "host_cell": case.host_cell_id}
        move_case(case, on=on, kind=MoveKind.reorganisation, actor_id=actor.id, reason=reason,
                  **{name: successor for name, node_id in places.items() if node_id == node.id},
                  data={"reorganised": node.code, "successor": successor.code})
    outcome.counts["open cases"] += len(cases)


def _move_grants(node: Organisation, successor: Organisation, on: date,
                 outcome: Outcome) -> None:
    """A grant in force on or after ``on`` on the closed node ends on the day before and a new
    grant on the successor starts on ``on`` (until the old one's last day). It is not
    re-pointed: the old grant is the record of who could act on the old node until then (what
    scopes and audits of the past rely on). A grant that had not started yet has no past and
    is re-pointed. A user who already holds the role on the successor keeps that grant.
    Sessions are not cut: nothing the user may do is taken away."""
    grants = db.session.scalars(select(RoleGrant).where(
        RoleGrant.org_id == node.id,
        or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to >= on))).all()
    for grant in grants:
        held = db.session.scalar(select(func.count(RoleGrant.id)).where(
            RoleGrant.user_id == grant.user_id, RoleGrant.role == grant.role,
            RoleGrant.org_id == successor.id, RoleGrant.valid_from <= on,
            or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to >= on)))
        if grant.valid_from >= on and not held:
            grant.org = successor
            outcome.counts["grants re-pointed"] += 1
            continue
        if grant.valid_from >= on:      # held on the successor already: never took effect
            grant.valid_to = grant.valid_from - timedelta(days=1)
            outcome.counts["grants ended"] += 1
            continue
        last = grant.valid_to
        grant.valid_to = on - timedelta(days=1)
        outcome.counts["grants ended"] += 1
        if not held:
            grant.user.grants.append(RoleGrant(role=grant.role, org=successor, valid_from=on,
                                               valid_to=last))
            outcome.counts["grants added"] += 1
    db.session.flush()


def _move_targets(node: Organisation, successor: Organisation, on: date,
                  outcome: Outcome) -> None:
    """The node's targets of the effective year and later join the successor's (summed into
    its row of the year), and leave the node: each year's target stands once."""
    rows = db.session.scalars(select(Target).where(Target.node_id == node.id,
                                                   Target.year >= on.year)).all()
    theirs = {t.year: t for t in db.session.scalars(select(Target).where(
        Target.node_id == successor.id, Target.year >= on.year))}
    for row in rows:
        if row.year in theirs:
            theirs[row.year].target += row.target
            db.session.delete(row)
        else:
            row.node_id = successor.id
        outcome.counts["targets"] += 1
    db.session.flush()


# --- nodes --------------------------------------------------------------------------------------

def derived_code(code: str, on: date) -> str:
    """The code of a successor created for a child: ``code.YYYY``, with a counter if taken."""
    base = f"{code[:34]}.{on.year}"
    candidate, n = base, 1
    while node_by_code(candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _successor_of(node: Organisation, parent: Organisation, code: str,
                  on: date) -> Organisation:
    successor = Organisation(code=code, opened_on=on,
                             **{name: getattr(node, name) for name in COPIED})
    db.session.add(successor)
    db.session.flush()
    successor.place_under(parent)
    db.session.flush()
    return successor


def _reparent(node: Organisation, parent: Organisation) -> None:
    """Put a node without history under ``parent``, its subtree's paths with it."""
    old = node.path
    new = f"{parent.path}{node.id}/"
    db.session.execute(
        update(Organisation).where(Organisation.path.startswith(old, autoescape=True))
        .values(path=literal(new).concat(func.substr(Organisation.path, len(old) + 1)))
        .execution_options(synchronize_session=False))
    node.parent = parent
    db.session.flush()
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Organisation) and obj.path.startswith(old):
            db.session.expire(obj, ["path"])


def _audit(trigger: str, nodes: list[Organisation], successor: Organisation, on: date,
           reason: str, actor: User, outcome: Outcome, parent: Organisation | None = None):
    audit.append(trigger=trigger, subject="organisation", actor_id=actor.id, comment=reason,
                 data={"codes": [n.code for n in nodes], "org_ids": [n.id for n in nodes],
                       "successor": successor.code, "successor_id": successor.id,
                       "parent": parent.code if parent else None, "effective_on": on,
                       "counts": dict(outcome.counts),
                       "created": [list(pair) for pair in outcome.created]})
