"""``can(user, action, case)``: roles and organisations only; facts belong to the guards."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased

from .. import clock
from ..models import Case, Organisation, Role, TransferRequest, TransferState, User
from ..workflow.transitions import BY_TRIGGER, TRANSITIONS, routes, spec, triggers_from
from .scope import PARTY_SIDE, UNION_SIDE, CellOrg, PartyOrg, UnionOrg, under


def _anchor(case: Case, anchor: str) -> Organisation | None:
    if anchor == "union":
        return case.union_unit
    if anchor == "party":
        return case.party_org
    if anchor == "cell":
        return case.host_cell
    return None


def _grant_covers(grant, case: Case, anchor: str, capability: str | None) -> bool:
    if anchor == "own":
        return grant.role == Role.member and case.member_id == grant.user.member_id
    if grant.org is None:
        return False
    if capability and not getattr(grant.org, capability):
        return False
    return grant.org.contains(_anchor(case, anchor))


def _in_scope(user: User, case: Case, day: date) -> bool:
    for grant in user.active_grants(day):
        if grant.role == Role.administrator:
            return True
        if grant.role == Role.member:
            if user.member_id and case.member_id == user.member_id:
                return True
        elif grant.org is not None and grant.role in UNION_SIDE:
            if grant.org.contains(case.union_unit):
                return True
        elif grant.org is not None and grant.role in PARTY_SIDE:
            if grant.org.contains(case.party_org) or grant.org.contains(case.host_cell):
                return True
    return False


# Entering a case already under way at go-live (services/case_intake): staff of the
# competent body or of the grassroots committee over the case's Party organisation (the
# grant's node must carry one of the capabilities), or an administrator.
INTAKE = "import_case"
INTAKE_GRANTS = {Role.competent_officer: ("competent_body",),
                 Role.party_officer: ("grassroots_committee", "competent_body")}


def intake_nodes(user: User, day: date) -> list[Organisation] | None:
    """The Party nodes under which ``user`` may enter cases under way (None: everywhere)."""
    nodes = []
    for grant in user.active_grants(day):
        if grant.role == Role.administrator:
            return None
        if grant.org is not None and any(getattr(grant.org, capability)
                                         for capability in INTAKE_GRANTS.get(grant.role, ())):
            nodes.append(grant.org)
    return nodes


# Transfers (services/transfers.py). The side responsible for the case asks and may withdraw
# its request: the union chair while the case is a draft, afterwards the receiving Party
# organisation's officer or the host cell's secretary. The receiving side answers: for a
# move to another Party organisation or host cell, the officer of a committee over the new
# node or the new cell's secretary; for a move of the union unit alone, its union chair.
TRANSFER_ACTIONS = frozenset({"request_transfer", "withdraw_transfer", "answer_transfer"})
UNION_STAGE = frozenset({"draft"})


def _holds(user: User, day: date, roles: set[Role], node: Organisation | None) -> bool:
    return node is not None and any(g.role in roles and g.org is not None and g.org.contains(node)
                                    for g in user.active_grants(day))


def _responsible(user: User, case: Case, day: date) -> bool:
    if case.state in UNION_STAGE:
        return _holds(user, day, {Role.union_chair}, case.union_unit)
    return (_holds(user, day, {Role.party_officer}, case.party_org)
            or _holds(user, day, {Role.party_officer, Role.cell_secretary}, case.host_cell))


def _receiving(user: User, transfer: TransferRequest, day: date) -> bool:
    if transfer.to_party is None and transfer.to_cell is None:
        return _holds(user, day, {Role.union_chair}, transfer.to_union)
    party = transfer.to_party or transfer.case.party_org
    return (_holds(user, day, {Role.party_officer}, party)
            or _holds(user, day, {Role.party_officer, Role.cell_secretary}, transfer.to_cell))


def can(user: User | None, action: str, case: Case | TransferRequest,
        day: date | None = None) -> bool:
    """May ``user`` perform ``action`` ("view", ``INTAKE``, a trigger, or a transfer action)
    on ``case`` on ``day``? ``answer_transfer`` is asked of the ``TransferRequest``, not of
    its case."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    day = day or clock.today()
    if action == "answer_transfer":
        return isinstance(case, TransferRequest) and _receiving(user, case, day)
    if isinstance(case, TransferRequest):
        return False
    if action in TRANSFER_ACTIONS:
        return _responsible(user, case, day)
    if action == "view":
        return _in_scope(user, case, day)
    if action == INTAKE:
        nodes = intake_nodes(user, day)
        return nodes is None or any(node.contains(case.party_org) for node in nodes)
    if action not in BY_TRIGGER:
        return False
    t = spec(action)
    return any(grant.role in t.roles and _grant_covers(grant, case, t.anchor, t.capability)
               for grant in user.active_grants(day))


def allowed_triggers(user: User, case: Case, day: date | None = None) -> list[str]:
    """Triggers that leave the case's state and that the user's grants allow."""
    return [t for t in triggers_from(case.state)
            if routes(t, case) and can(user, t, case, day)]


def is_open(trigger: str, case: Case, horizon: date) -> bool:
    """Has the date from which ``trigger`` may be taken come by ``horizon``?"""
    opens = spec(trigger).opens
    return opens is None or (getattr(case, opens) is not None and getattr(case, opens) <= horizon)


def work_triggers(user: User, case: Case, day: date | None = None,
                  horizon: date | None = None) -> list[str]:
    """The steps the case is waiting for that ``user`` may take (the inbox's "to do"):
    no side road, and a step that opens on a date only from ``horizon`` (default: the day)."""
    day = day or clock.today()
    return [t for t in allowed_triggers(user, case, day)
            if spec(t).work and is_open(t, case, horizon or day)]


def actionable(user: User, day: date | None = None,
               horizon: date | None = None) -> ColumnElement[bool]:
    """SQL twin of ``work_triggers(...) != []``, on a ``scoped_cases`` query: the cases
    waiting for a step this user may take (for inboxes and counts)."""
    day = day or clock.today()
    horizon = horizon or day
    anchors = {"union": lambda p: under(UnionOrg, p), "party": lambda p: under(PartyOrg, p),
               "cell": lambda p: and_(Case.host_cell_id.is_not(None), under(CellOrg, p))}
    states: dict[tuple, set[str]] = {}
    for grant in user.active_grants(day):
        for t in TRANSITIONS:
            if grant.role not in t.roles or not t.work:
                continue
            if t.anchor == "own":
                if user.member_id:
                    states.setdefault(("own", None, t.opens), set()).update(t.source)
            elif grant.org is not None and (not t.capability or getattr(grant.org, t.capability)):
                states.setdefault((t.anchor, grant.org.path, t.opens), set()).update(t.source)
    clauses = []
    for (anchor, path, opens), sources in states.items():
        clause = and_(Case.state.in_(sorted(sources)),
                      Case.member_id == user.member_id if anchor == "own"
                      else anchors[anchor](path))
        if opens:
            clause = and_(clause, getattr(Case, opens) <= horizon)
        clauses.append(clause)
    return or_(*clauses) if clauses else false()


ToUnion = aliased(Organisation, name="to_union")
ToParty = aliased(Organisation, name="to_party")     # the new Party organisation, or the same
ToCell = aliased(Organisation, name="to_cell")


def _pending_transfers() -> Select:
    return (select(TransferRequest).join(Case, TransferRequest.case_id == Case.id)
            .where(TransferRequest.state == TransferState.requested))


def incoming_transfers(user: User, day: date | None = None) -> Select:
    """SQL twin of ``can(user, "answer_transfer", t)`` over the pending transfers: the
    requests waiting for this user's answer."""
    day = day or clock.today()
    party_moves = or_(TransferRequest.to_party_id.is_not(None),
                      TransferRequest.to_cell_id.is_not(None))
    clauses = []
    for grant in user.active_grants(day):
        if grant.org is None:
            continue
        path = grant.org.path
        if grant.role == Role.union_chair:
            clauses.append(and_(~party_moves, under(ToUnion, path)))
        elif grant.role == Role.party_officer:
            clauses.append(and_(party_moves, or_(under(ToParty, path), under(ToCell, path))))
        elif grant.role == Role.cell_secretary:
            clauses.append(under(ToCell, path))
    return (_pending_transfers()
            .outerjoin(ToUnion, TransferRequest.to_union_id == ToUnion.id)
            .join(ToParty, func.coalesce(TransferRequest.to_party_id, Case.party_org_id)
                  == ToParty.id)
            .outerjoin(ToCell, TransferRequest.to_cell_id == ToCell.id)
            .where(or_(*clauses) if clauses else false()))


def outgoing_transfers(user: User, day: date | None = None) -> Select:
    """SQL twin of ``can(user, "withdraw_transfer", case)`` over the pending transfers: the
    requests this user's side sent and may still withdraw."""
    day = day or clock.today()
    union_stage = Case.state.in_(sorted(UNION_STAGE))
    clauses = []
    for grant in user.active_grants(day):
        if grant.org is None:
            continue
        path = grant.org.path
        if grant.role == Role.union_chair:
            clauses.append(and_(union_stage, under(UnionOrg, path)))
        elif grant.role == Role.party_officer:
            clauses.append(and_(~union_stage, or_(under(PartyOrg, path), under(CellOrg, path))))
        elif grant.role == Role.cell_secretary:
            clauses.append(and_(~union_stage, under(CellOrg, path)))
    return (_pending_transfers()
            .join(UnionOrg, Case.union_unit_id == UnionOrg.id)
            .join(PartyOrg, Case.party_org_id == PartyOrg.id)
            .outerjoin(CellOrg, Case.host_cell_id == CellOrg.id)
            .where(or_(*clauses) if clauses else false()))
