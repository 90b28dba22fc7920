"""Transfers: a case moved to another union unit, Party organisation or host cell (an
employer change, a house move), asked by the side responsible for it and accepted by the
receiving side (who may do which: ``security.permissions.can``).

Nothing about the case changes until the answer. Acceptance moves it with
``placement.move_case``: its documents stay its rows, and those the move leaves stale are
flagged by rule (``workflow/moved.py``). A refusal or a withdrawal changes nothing but the
request. Each verb is a compare-and-set on the case version (the case's version goes up
with every request and answer, so two people answering at once cannot both succeed);
each flushes and appends its audit event, never commits.

A probationary member's transfer (294-QĐ/TW §6.3.1) is due within the rule set's
``probation_transfer_working_days`` working days of the request (``deadline``).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..extensions import db
from ..models import (Case, MoveKind, Organisation, PartyKind, Tree, TransferKind,
                      TransferRequest, TransferState, UnionKind, User)
from ..security import can
from ..security.permissions import UNION_STAGE
from ..workflow.calendar import WorkingCalendar
from ..workflow.errors import Conflict, GuardFailed, InvalidStepData, NotAllowed, NotAvailable
from ..workflow.guards import CELL_KINDS
from ..workflow.rulesets import rule_set_on
from ..workflow.states import OPEN
from . import audit, placement
from .deadlines import Deadline
from .transitions import CONFLICT, comment_text

# A Party member from the admission decision until recognised (or removed): a transfer in
# these states is a probationary member's, with its deadline.
PROBATIONARY = frozenset({"admitted", "probation", "recognition_committee",
                          "recognition_review"})
# Party nodes that receive cases (a CĐCS's receiving organisation).
RECEIVING_KINDS = (PartyKind.commune.value, PartyKind.grassroots_committee.value,
                   PartyKind.grassroots_cell.value)


# What each target field of a transfer names: (tree, kinds).
TARGETS = {"union": (Tree.union, (UnionKind.grassroots.value,)),
           "party": (Tree.party, RECEIVING_KINDS),
           "cell": (Tree.party, CELL_KINDS)}
# Above this many open nodes a field asks for the node's code instead of listing them: a
# province lists thousands, the nation hundreds of thousands.
CHOICES_LIMIT = 300


def _open(field: str, today: date):
    tree, kinds = TARGETS[field]
    return (Organisation.tree == tree, Organisation.kind.in_(kinds),
            Organisation.opened_on <= today,
            Organisation.closed_on.is_(None) | (Organisation.closed_on > today))


def target_choices(case: Case, today: date | None = None
                   ) -> dict[str, list[Organisation] | None]:
    """The open nodes a case may go to, by field (None: too many to list, the form asks
    for a code): a draft to another grassroots union (its Party organisation follows that
    union's); a case with the Party to another union unit, receiving Party organisation or
    host cell."""
    today = today or clock.today()
    current = {"union": case.union_unit_id, "party": case.party_org_id,
               "cell": case.host_cell_id}
    found: dict[str, list[Organisation] | None] = {}
    for field in ("union",) if case.state in UNION_STAGE else TARGETS:
        where = (*_open(field, today), Organisation.id != (current[field] or 0),
                 Organisation.receiving_party_id.is_not(None) if field == "union" else true())
        few = db.session.scalar(select(func.count()).select_from(
            select(Organisation.id).where(*where).limit(CHOICES_LIMIT + 1).subquery())
        ) <= CHOICES_LIMIT
        found[field] = list(db.session.scalars(
            select(Organisation).where(*where).options(joinedload(Organisation.parent))
            .order_by(Organisation.name, Organisation.id))) if few else None
    return found


def pending_of(case: Case) -> TransferRequest | None:
    return db.session.scalars(select(TransferRequest).where(
        TransferRequest.case_id == case.id,
        TransferRequest.state == TransferState.requested)).first()


def history_of(case: Case) -> list[TransferRequest]:
    return list(db.session.scalars(select(TransferRequest).where(
        TransferRequest.case_id == case.id).order_by(TransferRequest.id)))


def _node(node_id: int | None, field: str, today: date) -> Organisation | None:
    if node_id is None:
        return None
    node = db.session.scalar(select(Organisation).where(Organisation.id == node_id,
                                                        *_open(field, today)))
    if node is None:
        raise InvalidStepData(_l("This organisation cannot be the new place: choose an open "
                                 "organisation of the kind asked."))
    return node


def _check_targets(case: Case, union: Organisation | None, party: Organisation | None,
                   cell: Organisation | None) -> None:
    """The new place makes sense for the case (facts; who may ask is ``can``'s)."""
    if union is not None and (union.id == case.union_unit_id or union.receiving_party is None):
        raise InvalidStepData(_l("Choose another grassroots union that has a receiving Party "
                                 "organisation."))
    if case.state in UNION_STAGE:
        if union is None or party is not None or cell is not None:
            raise InvalidStepData(_l("A draft referral moves to another grassroots union only; "
                                     "its Party organisation follows that union's."))
        return
    if party is not None and party.id == case.party_org_id:
        party = None
    if cell is not None and cell.id == case.host_cell_id:
        cell = None
    if union is None and party is None and cell is None:
        raise InvalidStepData(_l("Choose where the case goes: another union unit, Party "
                                 "organisation or host cell."))
    receiving = party or case.party_org
    kept_cell = cell or case.host_cell
    if kept_cell is not None and not receiving.contains(kept_cell):
        raise InvalidStepData(_l("The host cell must belong to the receiving Party "
                                 "organisation: choose a host cell there."))


def _bump(case: Case) -> None:
    """Compare-and-set on the case version: the flush updates the case row only if nobody
    changed it since it was read (Case's ``version_id_col``); ``state_since`` is rewritten
    as it is, only so that the row is updated."""
    flag_modified(case, "state_since")
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(CONFLICT) from None


def _check_version(case: Case, expected_version: int) -> None:
    if case.version != expected_version:
        raise Conflict(CONFLICT)


def request_transfer(case: Case, user: User, *, kind: TransferKind, reason: str,
                     expected_version: int, union_id: int | None = None,
                     party_id: int | None = None, cell_id: int | None = None,
                     today: date | None = None) -> TransferRequest:
    today = today or clock.today()
    if not can(user, "request_transfer", case, today):
        raise NotAllowed(_l("You may not ask for this case's transfer."))
    _check_version(case, expected_version)
    if case.state not in OPEN:
        raise NotAvailable(_l("A closed case cannot be transferred."))
    if pending_of(case) is not None:
        raise NotAvailable(_l("A transfer of this case is already waiting for an answer."))
    reason = comment_text(reason, required=True)
    union = _node(union_id, "union", today)
    party = _node(party_id, "party", today)
    cell = _node(cell_id, "cell", today)
    _check_targets(case, union, party, cell)
    transfer = TransferRequest(
        case=case, kind=kind, requested_on=today, requested_by_id=user.id, reason=reason,
        case_state=case.state, answer_note="",
        to_union=union,
        to_party=party if party is not None and party.id != case.party_org_id else None,
        to_cell=cell if cell is not None and cell.id != case.host_cell_id else None)
    db.session.add(transfer)
    _bump(case)
    audit.append(trigger="request_transfer", subject="transfer", actor_id=user.id,
                 case_id=case.id, comment=reason, data=_summary(transfer))
    return transfer


def _summary(transfer: TransferRequest) -> dict:
    return {"transfer": transfer.id, "kind": transfer.kind.value,
            "union": transfer.to_union_id, "party": transfer.to_party_id,
            "cell": transfer.to_cell_id}


def _answerable(transfer: TransferRequest, user: User, expected_version: int,
                today: date) -> Case:
    if not can(user, "answer_transfer", transfer, today):
        raise NotAllowed(_l("You may not answer this transfer request."))
    return _still_pending(transfer, expected_version)


def _still_pending(transfer: TransferRequest, expected_version: int) -> Case:
    case = transfer.case
    _check_version(case, expected_version)
    if not transfer.pending:
        raise NotAvailable(_l("This transfer request has already been answered or withdrawn."))
    return case


def accept_transfer(transfer: TransferRequest, user: User, *, expected_version: int,
                    note: str = "", today: date | None = None) -> TransferRequest:
    """Move the case: from today at the new place, with its documents."""
    today = today or clock.today()
    case = _answerable(transfer, user, expected_version, today)
    note = comment_text(note)
    if case.state not in OPEN:
        raise NotAvailable(_l("A closed case cannot be transferred."))
    if (transfer.case_state in UNION_STAGE) != (case.state in UNION_STAGE):
        raise NotAvailable(_l("The case has gone on to the Party since the request: the "
                              "request can only be refused, and asked again."))
    union, party, cell = transfer.to_union, transfer.to_party, transfer.to_cell
    if any(not n.is_open_on(today) for n in (union, party, cell) if n is not None):
        raise GuardFailed(_l("The organisation the case would go to is closed; the request "
                             "can only be refused."))
    _check_targets(case, union, party, cell)
    if case.state in UNION_STAGE:
        party = union.receiving_party
    if union is not None:
        case.member.unit = union        # the member's union membership follows his employer
    transfer.state, transfer.answered_on = TransferState.accepted, today
    transfer.answered_by_id, transfer.answer_note = user.id, note
    try:
        transfer.move = placement.move_case(
            case, on=today, kind=MoveKind.transfer, actor_id=user.id, reason=transfer.reason,
            union_unit=union, party_org=party,
            host_cell=cell if cell is not None else placement.KEEP,
            data={"transfer": transfer.id, "transfer_kind": transfer.kind.value,
                  "answer_note": note})
    except StaleDataError:
        raise Conflict(CONFLICT) from None
    db.session.flush()
    return transfer


def refuse_transfer(transfer: TransferRequest, user: User, *, expected_version: int,
                    note: str, today: date | None = None) -> TransferRequest:
    today = today or clock.today()
    case = _answerable(transfer, user, expected_version, today)
    return _close(transfer, case, user, TransferState.refused, note, today)


def withdraw_transfer(transfer: TransferRequest, user: User, *, expected_version: int,
                      note: str, today: date | None = None) -> TransferRequest:
    today = today or clock.today()
    if not can(user, "withdraw_transfer", transfer.case, today):
        raise NotAllowed(_l("You may not withdraw this transfer request."))
    case = _still_pending(transfer, expected_version)
    return _close(transfer, case, user, TransferState.withdrawn, note, today)


def _close(transfer: TransferRequest, case: Case, user: User, state: TransferState, note: str,
           today: date) -> TransferRequest:
    note = comment_text(note, required=True)
    transfer.state, transfer.answered_on = state, today
    transfer.answered_by_id, transfer.answer_note = user.id, note
    _bump(case)
    trigger = "refuse_transfer" if state == TransferState.refused else "withdraw_transfer"
    audit.append(trigger=trigger, subject="transfer", actor_id=user.id, case_id=case.id,
                 comment=note, data={"transfer": transfer.id})
    return transfer


def deadline(transfer: TransferRequest, calendar: WorkingCalendar,
             today: date | None = None, rules_on=rule_set_on) -> Deadline | None:
    """A probationary member's transfer: due within the rule set's working days from the
    request (294-QĐ/TW §6.3.1); None for other transfers."""
    if transfer.case_state not in PROBATIONARY:
        return None
    today = today or clock.today()
    start = transfer.requested_on
    due = calendar.add(start, rules_on(start)["probation_transfer_working_days"])
    active = transfer.pending
    met_on = transfer.answered_on if transfer.state == TransferState.accepted else None
    return Deadline(
        "transfer", _l("Probationary member's transfer due"), due, active,
        overdue_by=max(calendar.between(due, today), 0) if active and today > due else 0,
        days_left=calendar.between(today, due) if active and today <= due else None,
        start=start, met_on=met_on,
        late_by=calendar.between(due, met_on) if met_on and met_on > due else 0)
