"""Effects: what a successful transition writes on the case besides its state."""
from __future__ import annotations

from ..extensions import db
from ..models import (CaseHelper, Document, Enrolment, EnrolmentResult, PartyStatus, Vote,
                      VoteKind)
from .calendar import add_months
from .context import StepContext
from . import roster
from .guards import pending_enrolment, valid_until


def _vote(ctx: StepContext, kind: VoteKind, form: str, vote: dict | None = None) -> None:
    vote = vote or ctx.parsed["vote"]
    ctx.case.votes.append(Vote(kind=kind, **vote))
    ctx.case.documents.append(Document(form_code=form, number=vote["resolution_no"],
                                       issued_on=vote["held_on"], detail={}))


def nominate(ctx: StepContext) -> None:
    vote = ctx.parsed["vote"]
    ctx.case.votes.append(Vote(kind=VoteKind.union_committee, **vote))
    months = ctx.rules["document_validity_months"].get("4A-KNĐ")
    ctx.case.documents.append(Document(
        form_code="4A-KNĐ", number=vote["resolution_no"], issued_on=vote["held_on"],
        issuer=ctx.case.union_unit.name, detail={},
        valid_until=add_months(vote["held_on"], months) if months else None))
    ctx.case.nominated_on = ctx.on


def nominate_introduced(ctx: StepContext) -> None:
    """A worker who is not a union member: the introducers' letters go on the dossier."""
    record_documents(ctx)
    ctx.case.nominated_on = ctx.on


def record_readmission(ctx: StepContext) -> None:
    for key, value in ctx.parsed["readmission"].items():
        setattr(ctx.case, key, value)
    ctx.case.readmission = True


def send_back(ctx: StepContext) -> None:
    """A send-back keeps the records; the reason is in the audit event."""


def return_dossier(ctx: StepContext) -> None:
    """Back to the cell for more papers: the list of what is missing stays on the case until
    it goes back to the cell meeting; the decision clock restarts from the new resolution."""
    case = ctx.case
    case.dossier_returns = (case.dossier_returns or 0) + 1
    case.missing_items = ctx.parsed["missing"] | {"on": ctx.on.isoformat(),
                                                  "from": case.state}
    case.cell_resolution_on = case.committee_resolution_on = None
    case.decision_extended = False


def resubmit(ctx: StepContext) -> None:
    """To the cell meeting with the documents supplied: what was missing is answered."""
    record_documents(ctx)
    ctx.case.missing_items = None


def accept(ctx: StepContext) -> None:
    ctx.case.host_cell = ctx.parsed["cell"]
    ctx.case.helpers = [CaseHelper(full_name=p.full_name, party_member=p)
                        for p in ctx.parsed["helpers"]]
    ctx.case.accepted_on = ctx.on


def enroll(ctx: StepContext) -> None:
    klass = ctx.parsed["class"]
    db.session.add(Enrolment(class_id=klass.id, case_id=ctx.case.id, enrolled_on=ctx.on,
                             result=EnrolmentResult.pending))
    # The audit event names the class as it was called on the day.
    ctx.data["class_name"] = klass.name


def fail_class(ctx: StepContext) -> None:
    """Back to ``accepted``; the enrolment keeps the result and the reason."""
    enrolment = pending_enrolment(ctx.case)
    if enrolment is not None:
        enrolment.result = EnrolmentResult.failed
        enrolment.reason = ctx.comment.strip()


def certify(ctx: StepContext) -> None:
    cert = ctx.parsed["certificate"]
    if ctx.case.state == "in_class":
        enrolment = pending_enrolment(ctx.case)
        if enrolment is not None:
            enrolment.result = EnrolmentResult.passed
            enrolment.certificate_no = cert["number"]
            enrolment.certificate_on = cert["issued_on"]
    ctx.case.documents.append(Document(
        form_code="certificate", number=cert["number"], issuer=cert["issuer"],
        issued_on=cert["issued_on"], detail={},
        valid_until=add_months(cert["issued_on"], ctx.rules["certificate_validity_months"])))
    ctx.case.certified_on = cert["issued_on"]


def record_documents(ctx: StepContext) -> None:
    validity = ctx.rules["document_validity_months"]
    for doc in ctx.parsed.get("documents", []):
        ctx.case.documents.append(Document(valid_until=valid_until(doc, validity), **doc))


def cell_resolution(ctx: StepContext) -> None:
    _vote(ctx, VoteKind.cell, "6-KNĐ")
    ctx.case.cell_resolution_on = ctx.parsed["vote"]["held_on"]


def committee_resolution(ctx: StepContext) -> None:
    _vote(ctx, VoteKind.committee, "8-KNĐ")
    ctx.case.committee_resolution_on = ctx.parsed["vote"]["held_on"]


def committee_decides(ctx: StepContext) -> None:
    """An authorised committee's decision: its vote (2/3 of all its members) and the
    decision itself, without a proposal to the competent body (no 8-KNĐ)."""
    ctx.case.votes.append(Vote(kind=VoteKind.committee, **ctx.parsed["vote"]))
    ctx.case.committee_resolution_on = ctx.parsed["vote"]["held_on"]
    admit(ctx)


def extend_decision(ctx: StepContext) -> None:
    ctx.case.decision_extended = True


def admit(ctx: StepContext) -> None:
    if "standing_vote" in ctx.parsed:
        ctx.case.votes.append(Vote(kind=VoteKind.standing_committee,
                                   **ctx.parsed["standing_vote"]))
    decision = ctx.parsed["decision"]
    ctx.case.decision_no = decision["number"]
    ctx.case.decision_on = decision["issued_on"]
    ctx.case.decision_received_on = decision["received_on"] or decision["issued_on"]
    ctx.case.documents.append(Document(form_code="9-KNĐ", number=decision["number"],
                                       issued_on=decision["issued_on"], detail={}))


def ceremony(ctx: StepContext) -> None:
    ctx.case.ceremony_on = ctx.parsed["ceremony_on"]
    ctx.case.probation_ends_on = add_months(ctx.parsed["ceremony_on"],
                                            ctx.rules["probation_months"])
    ctx.data["roster"] = roster.enter_admitted(ctx.case, PartyStatus.probationary)


def recognition_cell(ctx: StepContext) -> None:
    record_documents(ctx)
    _vote(ctx, VoteKind.recognition_cell, "13-KNĐ")
    ctx.case.recognition_cell_on = ctx.parsed["vote"]["held_on"]


def recognition_committee(ctx: StepContext) -> None:
    _vote(ctx, VoteKind.recognition_committee, "15-KNĐ")


def extend_recognition(ctx: StepContext) -> None:
    ctx.case.recognition_decision_extended = True

def removal_cell(ctx: StepContext) -> None:
    """The cell's resolution proposing removal: its date starts the competent body's
    clock, as a recognition resolution's does."""
    ctx.case.votes.append(Vote(kind=VoteKind.removal_cell, **ctx.parsed["vote"]))
    ctx.case.recognition_cell_on = ctx.parsed["vote"]["held_on"]


def undecided_vote(ctx: StepContext) -> None:
    ctx.case.votes.append(Vote(kind=VoteKind.undecided_cell, **ctx.parsed["vote"]))


def refer_up(ctx: StepContext) -> None:
    """The last undecided vote sends the case up; its date starts the decision's clock."""
    undecided_vote(ctx)
    ctx.case.recognition_cell_on = ctx.parsed["vote"]["held_on"]


def recognise(ctx: StepContext) -> None:
    ctx.case.votes.append(Vote(kind=VoteKind.recognition_decision, **ctx.parsed["vote"]))
    decision = ctx.parsed["decision"]
    ctx.case.documents.append(Document(form_code="16-KNĐ", number=decision["number"],
                                       issued_on=decision["issued_on"], detail={}))
    # Recognition takes effect at the end of the 12 months, even when approved late.
    ctx.case.official_from = ctx.case.probation_ends_on
    ctx.case.closed_on = ctx.on
    ctx.data["roster"] = roster.enter_admitted(ctx.case, PartyStatus.official)


def decline(ctx: StepContext) -> None:
    """Not admitted: the standing committee's vote that fell short of the threshold."""
    ctx.case.votes.append(Vote(kind=VoteKind.standing_committee,
                               **ctx.parsed["standing_vote"]))
    close(ctx)


def remove(ctx: StepContext) -> None:
    """Removed from the probationary list by the competent body's committee vote."""
    ctx.case.votes.append(Vote(kind=VoteKind.removal_decision, **ctx.parsed["removal_vote"]))
    close(ctx)


def close(ctx: StepContext) -> None:
    if "vote" in ctx.parsed:
        kind = {"cell_review": VoteKind.cell, "committee_review": VoteKind.committee}
        ctx.case.votes.append(Vote(kind=kind[ctx.case.state], **ctx.parsed["vote"]))
    if ctx.case.ceremony_on and (left := roster.leave_removed(ctx.case, ctx.on)):
        ctx.data["roster"] = left        # removed from the probationary list: he leaves
    ctx.case.closed_on = ctx.on
    ctx.case.closed_at_state = ctx.case.state
    ctx.case.close_reason = ctx.comment.strip()
