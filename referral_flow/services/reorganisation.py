"""Reorganising the trees on an effective date: move a node under another parent, merge
units into a successor, close a node with a successor, refer CĐCS to another receiving Party
organisation (PROCESS.md §1, issue 10 item 4).

An organisation that moves stays the same organisation: same id, code, name, members,
roster and people. Moving it re-parents it with its subtree, and ``OrganisationMove`` keeps
where each node of the subtree stood before the effective date; the open children of a node
closed into a successor move under the successor the same way. Past reports do not change:
a report of a past period places each case at the node it was at on the period's last day
(``placement.union_unit_on``) and rolls nodes up by the paths they had on that day
(``security.tree_on.path_on``).

On the effective date (its first day): the cases open on that day (not closed before it) of
a closed node move to the successor (``placement.move_case``: union unit, Party
organisation, host cell); the union members of a closed CĐCS, the Party members on a closed
cell's roster and the CĐCS a closed Party node received for follow it; its targets and
plans for the effective year and later are added to the successor's (one row per year:
nothing counted twice); finished cases, past targets and every past event stay with the
old node. Grants: see ``_move_grants``. Each operation is one
audit event naming the nodes and the counts (the moved cases also get their own "move"
event).

A reorganisation is recorded on or after the day it takes effect, and after any earlier
recorded move of the nodes it re-parents: a future date, or a date before such a move, is
refused (the path history is read in the order of the days). Flushes, never commits;
refusals raise ``Refused`` with Vietnamese messages by form field.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, insert, literal, or_, select, update

from ..extensions import db
from ..models import (Case, Member, MoveKind, Organisation, OrganisationMove, PartyMember,
                      RoleGrant, Target, Tree, UnionKind, UnitPlan, User)
from ..workflow.states import FINAL
from . import audit, tallies
from .party_members import recount
from .organisations import RANKS, closing_problems, may_hold, node_by_code, open_party_node
from .placement import KEEP, move_case
from .refused import Problems, Refused


@dataclass
class Outcome:
    """What one reorganisation did: the counts, and the node that now stands."""
    counts: Counter = field(default_factory=Counter)
    node: Organisation | None = None        # the node moved, the successor, the receiver


def subtree_ids(node: Organisation):
    return select(Organisation.id).where(Organisation.path.startswith(node.path,
                                                                      autoescape=True))


def _date_problems(problems: Problems, node: Organisation, on: date, today: date,
                   field_name: str = "effective_on") -> None:
    if on > today:
        problems.add(field_name, _l("The effective date cannot be in the future: record the "
                                    "reorganisation on or after the day it takes effect."))
    else:
        problems.errors.update(closing_problems(node, on, field_name).errors)


def _later_move_problems(problems: Problems, node: Organisation, on: date) -> None:
    """A node of the subtree moved after ``on`` already: its path before ``on`` is not its
    path now, so this move cannot be recorded before that one."""
    if db.session.scalar(select(exists().where(OrganisationMove.node_id.in_(subtree_ids(node)),
                                               OrganisationMove.moved_on > on))):
        problems.add("effective_on", _l("This organisation, or one below it, was moved after "
                                        "this date: record reorganisations in the order they "
                                        "took effect."))


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
    else:
        _later_move_problems(problems, node, on)


def _node(code: str, field_name: str) -> Organisation:
    node = node_by_code(code)
    if node is None:
        raise Refused.on(field_name, _l("No organisation has this code."))
    return node


# --- the operations ---------------------------------------------------------------------------

def merge(codes: list[str], successor: Organisation, *, on: date, today: date, reason: str,
          actor: User) -> Outcome:
    """Close the nodes ``codes`` on ``on`` into ``successor`` (an open node of the same tree
    and level); their open work follows it, their open children move under it."""
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
    """Close ``node`` on ``on``; the node ``successor_code`` carries its open work and
    takes its open children."""
    successor = _node(successor_code, "successor_code")
    problems = Problems()
    _successor_problems(problems, node, successor, on, "successor_code")
    _date_problems(problems, node, on, today)
    problems.raise_any()
    outcome = Outcome(node=successor)
    _retire(node, successor, on, reason, actor, outcome)
    _audit("close_with_successor", [node], successor, on, reason, actor, outcome)
    return outcome


def move_node(node: Organisation, parent_code: str, *, on: date, today: date, reason: str,
              actor: User) -> Outcome:
    """Put ``node`` and its subtree under the node ``parent_code`` from ``on``: the same
    organisations, with where they stood before kept for past reports."""
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
    if not problems:
        _later_move_problems(problems, node, on)
    problems.raise_any()
    outcome = Outcome(node=node)
    old_parent = node.parent
    _reparent(node, parent, on, reason, actor, outcome)
    audit.append(trigger="move", subject="organisation", actor_id=actor.id, comment=reason,
                 data={"org_id": node.id, "code": node.code, "effective_on": on,
                       "from": old_parent.code if old_parent else None, "to": parent.code,
                       "counts": dict(outcome.counts)})
    return outcome


def refer_to(units: list[Organisation], party_code: str, *, host_cell_code: str = "",
             on: date, today: date, reason: str, actor: User) -> Outcome:
    """From ``on``, the CĐCS ``units`` refer to the open Party node ``party_code`` (a Party
    organisation of their enterprise ended, or the area's committee takes over). Their
    cases open on that day at their former receiving organisation move to it; those whose
    host cell is not in it are hosted by the cell ``host_cell_code`` (one of its cells,
    e.g. a residence cell), which must be given when there are such cases."""
    receiver = open_party_node(party_code, on, "party_code")
    problems = Problems()
    if on > today:
        problems.add("effective_on", _l("The effective date cannot be in the future: record "
                                        "the reorganisation on or after the day it takes "
                                        "effect."))
    if any(u.tree != Tree.union or u.kind != UnionKind.grassroots.value for u in units):
        problems.add("codes", _l("Only grassroots unions (CĐCS) refer to a Party "
                                 "organisation."))
    problems.raise_any()
    cell = None
    if host_cell_code:
        cell = open_party_node(host_cell_code, on, "host_cell_code")
        if not receiver.contains(cell) or cell.id == receiver.id:
            raise Refused.on("host_cell_code", _l("The host cell must be a cell of the "
                                                  "receiving Party organisation."))
    cases = [] if not units else db.session.scalars(select(Case).where(
        Case.union_unit_id.in_([u.id for u in units]), _open_on(on),
        Case.party_org_id != receiver.id).order_by(Case.id)).all()
    cases = [c for c in cases if c.party_org_id == c.union_unit.receiving_party_id]
    homeless = [c for c in cases if c.host_cell is not None and not receiver.contains(c.host_cell)]
    if homeless and cell is None:
        raise Refused.on("host_cell_code", _l(
            "%(n)d open cases have a host cell outside the new receiving organisation: give "
            "the cell that hosts them.", n=len(homeless)))
    outcome = Outcome(node=receiver)
    for case in cases:
        move_case(case, on=on, kind=MoveKind.reorganisation, actor_id=actor.id, reason=reason,
                  party_org=receiver, host_cell=cell if case in homeless else KEEP,
                  data={"receiving": receiver.code})
    outcome.counts["open cases"] += len(cases)
    for unit in units:
        unit.receiving_party = receiver
    outcome.counts["receiving links"] += len(units)
    db.session.flush()
    audit.append(trigger="refer_to", subject="organisation", actor_id=actor.id, comment=reason,
                 data={"codes": [u.code for u in units], "org_ids": [u.id for u in units],
                       "receiving": receiver.code, "host_cell": cell.code if cell else None,
                       "effective_on": on, "counts": dict(outcome.counts)})
    return outcome


# --- what closing into a successor does -------------------------------------------------------

def _open_on(on: date):
    """Cases open on ``on``: not finished, or finished on or after it (a reorganisation is
    recorded on or after the day it takes effect)."""
    return or_(Case.state.not_in(FINAL), Case.closed_on >= on)


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
        _move_roster(node, successor, on, actor, outcome)
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
        _reparent(child, successor, on, reason, actor, outcome)


def _move_cases(node: Organisation, successor: Organisation, on: date, reason: str,
                actor: User, outcome: Outcome) -> None:
    cases = db.session.scalars(select(Case).where(
        _open_on(on),
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
    """The node's targets (chỉ tiêu) and its own plans (kế hoạch) of the effective year and
    later join the successor's (summed into its row of the year) and leave the node: each
    year's figure stands once."""
    for model, where, amount, counted in ((Target, Target.node_id, "target", "targets"),
                                          (UnitPlan, UnitPlan.unit_id, "planned", "plans")):
        rows = db.session.scalars(select(model).where(where == node.id,
                                                      model.year >= on.year)).all()
        theirs = {row.year: row for row in db.session.scalars(select(model).where(
            where == successor.id, model.year >= on.year))}
        for row in rows:
            if row.year in theirs:
                setattr(theirs[row.year], amount,
                        getattr(theirs[row.year], amount) + getattr(row, amount))
                db.session.delete(row)
            else:
                setattr(row, where.key, successor.id)
            outcome.counts[counted] += 1
    db.session.flush()


def _move_roster(cell: Organisation, successor: Organisation, on: date, actor: User,
                 outcome: Outcome) -> None:
    """A closed cell's Party members who have not left go on the successor's roster (the
    same people, now in the merged cell); a kept roster recounts its official members."""
    outcome.counts["party members"] += db.session.execute(
        update(PartyMember).where(PartyMember.cell_id == cell.id,
                                  or_(PartyMember.left_on.is_(None), PartyMember.left_on >= on))
        .values(cell_id=successor.id).execution_options(synchronize_session="fetch")).rowcount
    db.session.flush()
    recount(successor, actor.id)


# --- nodes --------------------------------------------------------------------------------------

def _reparent(node: Organisation, parent: Organisation, on: date, reason: str, actor: User,
              outcome: Outcome) -> None:
    """Put ``node`` under ``parent`` from ``on``, its subtree's paths with it; one
    ``OrganisationMove`` per node of the subtree keeps its parent and path before ``on``."""
    old = node.path
    new = f"{parent.path}{node.id}/"
    in_subtree = Organisation.path.startswith(old, autoescape=True)
    stood = db.session.execute(select(Organisation.id, Organisation.parent_id,
                                      Organisation.path).where(in_subtree)).all()
    db.session.execute(insert(OrganisationMove), [
        {"node_id": node_id, "moved_on": on, "from_parent_id": parent_id, "from_path": path,
         "reason": reason, "actor_id": actor.id} for node_id, parent_id, path in stood])
    with tallies.moving(old, new):
        db.session.execute(
            update(Organisation).where(in_subtree)
            .values(path=literal(new).concat(func.substr(Organisation.path, len(old) + 1)))
            .execution_options(synchronize_session=False))
        node.parent = parent
        db.session.flush()
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Organisation) and obj.path.startswith(old):
            db.session.expire(obj, ["path"])
    outcome.counts["re-parented"] += 1
    outcome.counts["nodes moved"] += len(stood)


def _audit(trigger: str, nodes: list[Organisation], successor: Organisation, on: date,
           reason: str, actor: User, outcome: Outcome):
    audit.append(trigger=trigger, subject="organisation", actor_id=actor.id, comment=reason,
                 data={"codes": [n.code for n in nodes], "org_ids": [n.id for n in nodes],
                       "successor": successor.code, "successor_id": successor.id,
                       "effective_on": on, "counts": dict(outcome.counts)})
