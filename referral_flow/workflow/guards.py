"""Guards: the facts the rules require before a case may move.

Each guard raises GuardFailed or InvalidStepData naming the failed fact in the
user's language; it stores what it parsed in ``ctx.parsed`` for the effect.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import (AwarenessClass, Case, Enrolment, EnrolmentResult, Organisation, PartyKind,
                      PartyMember, Role, VoteKind)
from . import stepdata as sd
from .calendar import add_months, months_between
from .context import StepContext
from .errors import GuardFailed, InvalidStepData
from .moved import is_stale, transfers_of
from .states import OPEN, STATES

CELL_KINDS = (PartyKind.cell.value, PartyKind.grassroots_cell.value)
DOSSIER_FORMS = {
    "1-KNĐ": _l("Application for Party membership (1-KNĐ)"),
    "2-KNĐ": _l("Personal history of the applicant (2-KNĐ)"),
    "3-KNĐ": _l("Introducer's letter (3-KNĐ)"),
    "4A-KNĐ": _l("Resolution of the union executive committee introducing the member (4A-KNĐ)"),
    "5-KNĐ": _l("Comments of the organisations and the residence cell (5-KNĐ)"),
}
RECOGNITION_FORMS = {
    "10-KNĐ": _l("Self-assessment of the probationary member (10-KNĐ)"),
    "11-KNĐ": _l("Assessment by the helping Party member (11-KNĐ)"),
    "12-KNĐ": _l("Comments of the organisations and the residence cell (12-KNĐ)"),
}
# Recorded one by one on the dossier (the 4A-KNĐ comes with the nomination itself).
RECORDABLE_FORMS = {code: name for code, name in (DOSSIER_FORMS | RECOGNITION_FORMS).items()
                    if code != "4A-KNĐ"}


def meets(votes_for: int, base: int, threshold: dict) -> bool:
    """Exact integer comparison: for/base >= num/den (or > when strict)."""
    left, right = votes_for * threshold["den"], threshold["num"] * base
    return left > right if threshold["strict"] else left >= right


BODY = {"cell": _l("cell"), "committee": _l("committee")}


def check_vote(vote: dict, threshold: dict, body: str, passing: bool = True) -> None:
    """Raise unless the vote's outcome is the one the step records (pass or refusal)."""
    passed = meets(vote["votes_for"], vote["eligible"], threshold)
    args = {"body": BODY[body], "num": threshold["num"], "den": threshold["den"],
            "f": vote["votes_for"], "e": vote["eligible"]}
    if passing and not passed:
        raise GuardFailed(_l("The %(body)s vote did not reach %(num)d/%(den)d: "
                             "%(f)d for of %(e)d entitled to vote.", **args))
    if not passing and passed:
        raise GuardFailed(_l("The %(body)s vote reached %(num)d/%(den)d "
                             "(%(f)d for of %(e)d): record it as an approval.", **args))


def read_vote(ctx: StepContext, prefix: str = "") -> dict:
    d = ctx.data
    vote = {
        "held_on": sd.day(d, prefix + "held_on", _l("Meeting date")),
        "eligible": sd.count(d, prefix + "eligible", _l("Members entitled to vote")),
        "present": sd.count(d, prefix + "present", _l("Members present")),
        "votes_for": sd.count(d, prefix + "votes_for", _l("Votes for")),
        "votes_against": sd.count(d, prefix + "votes_against", _l("Votes against")),
        # stored in vote.resolution_no and document.number, both String(40)
        "resolution_no": sd.text(d, prefix + "resolution_no", _l("Resolution number"),
                                 limit=40),
    }
    if vote["held_on"] > ctx.on:
        raise InvalidStepData(_l("The meeting date cannot be after the step's date."))
    if vote["eligible"] == 0:
        raise InvalidStepData(_l("Members entitled to vote must be at least 1."))
    if vote["present"] > vote["eligible"]:
        raise InvalidStepData(_l("More members present than entitled to vote."))
    if vote["votes_for"] + vote["votes_against"] > vote["present"]:
        raise InvalidStepData(_l("More votes cast than members present."))
    return vote


# --- nomination -----------------------------------------------------------------

def member_in_unit(ctx: StepContext) -> None:
    case = ctx.case
    if case.member.unit_id != case.union_unit_id:
        raise GuardFailed(_l("The member does not belong to the nominating union unit."))
    if not case.union_unit.is_open_on(ctx.on):
        raise GuardFailed(_l("The union unit is closed."))


def refuse_without_citizen_id(member) -> None:
    """A referral names the person by the 12-digit citizen ID (imported rosters may lack it)."""
    if not member.citizen_id:
        raise GuardFailed(_l("%(name)s has no citizen ID yet: add the 12-digit citizen ID on "
                             "the member's page before the nomination.",
                             name=member.full_name))


def citizen_id_recorded(ctx: StepContext) -> None:
    refuse_without_citizen_id(ctx.case.member)


def standing_case(member_id: int, other_than: int | None = None,
                  drafts: bool = True) -> Case | None:
    """The case that stands in the way of a referral: an open one (a draft too, unless
    ``drafts`` is false), or one that made the person an official Party member."""
    states = OPEN | {"official"} if drafts else (OPEN - {"draft"}) | {"official"}
    stmt = select(Case).where(Case.member_id == member_id, Case.state.in_(sorted(states)))
    if other_than is not None:
        stmt = stmt.where(Case.id != other_than)
    return db.session.scalars(stmt.order_by(Case.id.desc()).limit(1)).first()


def refuse_if_member_or_open(member_id: int, other_than: int | None = None,
                             drafts: bool = True) -> None:
    """No referral for a probationary or official Party member, nor beside an open one."""
    listed = db.session.scalars(select(PartyMember).where(
        PartyMember.member_id == member_id, PartyMember.left_on.is_(None)).limit(1)).first()
    if listed is not None:
        raise GuardFailed(_l("This person is already a Party member, on the roster of %(cell)s.",
                             cell=listed.cell.name))
    case = standing_case(member_id, other_than, drafts)
    if case is None:
        return
    if case.state == "official":
        raise GuardFailed(_l("This person is already an official Party member (since %(d)s).",
                             d=case.official_from.strftime("%d/%m/%Y")))
    if case.state in ("probation", "recognition_review"):
        raise GuardFailed(_l("This person is already a probationary Party member."))
    raise GuardFailed(_l("This person already has an open referral (at the step: %(state)s).",
                         state=STATES[case.state]))


def no_other_open_case(ctx: StepContext) -> None:
    """Not a Party member already, and no other referral under way."""
    refuse_if_member_or_open(ctx.case.member_id, other_than=ctx.case.id, drafts=False)


def not_youth_route(ctx: StepContext) -> None:
    rules = ctx.rules
    unit = ctx.case.union_unit
    if rules["youth_route_enabled"] and unit.has_youth_union:
        age = months_between(ctx.case.member.date_of_birth, ctx.on) // 12
        if age <= rules["youth_route_max_age_years"]:
            raise GuardFailed(_l(
                "The member is %(age)d, of youth age in a unit with a Youth Union: "
                "the Youth Union introduces him or her instead.", age=age))


def union_resolution(ctx: StepContext) -> None:
    vote = read_vote(ctx)
    if not meets(vote["votes_for"], vote["eligible"], ctx.rules["union_vote"]):
        raise GuardFailed(_l(
            "The union executive committee's vote did not pass: %(f)d for of %(e)d members.",
            f=vote["votes_for"], e=vote["eligible"]))
    ctx.parsed["vote"] = vote


# --- acceptance and class ----------------------------------------------------------

def host_cell_and_helpers(ctx: StepContext) -> None:
    cell = host_cell_named(ctx)
    ctx.parsed.update(cell=cell, helpers=_helpers_of(ctx, cell))


def host_cell_named(ctx: StepContext) -> Organisation:
    """The host cell chosen by ``host_cell_id``: an open cell of the receiving organisation."""
    cell_id = str(ctx.data.get("host_cell_id") or "")
    # ASCII digits only ("²".isdigit() is true) and short enough for an integer column.
    cell = (db.session.get(Organisation, int(cell_id))
            if cell_id.isascii() and cell_id.isdigit() and len(cell_id) <= 9 else None)
    if cell is None:
        raise InvalidStepData(_l("Choose the host cell."))
    if cell.kind not in CELL_KINDS or not cell.is_open_on(ctx.on):
        raise GuardFailed(_l("The host cell must be an open Party cell."))
    if not ctx.case.party_org.contains(cell):
        raise GuardFailed(_l("The host cell must belong to the receiving Party organisation."))
    return cell


def _helpers_of(ctx: StepContext, cell: Organisation) -> list[PartyMember]:
    """The helpers, chosen by their ids on the roster: official members of ``cell`` who have
    not left it on the step's date."""
    raw = ctx.data.get("helpers") or []
    raw = [raw] if isinstance(raw, (str, int)) else raw
    if not isinstance(raw, (list, tuple)):
        raise InvalidStepData(_l("Choose the helpers from the official members of the cell."))
    ids = [str(h).strip() for h in raw if str(h).strip()]
    if not all(i.isascii() and i.isdigit() and len(i) <= 9 for i in ids):
        raise InvalidStepData(_l("Choose the helpers from the official members of the cell."))
    if not ids:
        raise GuardFailed(_l("Assign at least one official Party member to help the candidate."))
    ids = list(dict.fromkeys(int(i) for i in ids))
    found = {p.id: p for p in db.session.scalars(
        select(PartyMember).where(PartyMember.id.in_(ids)))}
    helpers = []
    for person_id in ids:
        person = found.get(person_id)
        if person is None or person.cell_id != cell.id:
            raise GuardFailed(_l("%(name)s is not on the roster of the host cell %(cell)s.",
                                 name=person.full_name if person else f"#{person_id}",
                                 cell=cell.name))
        if person.left_on is not None:
            raise GuardFailed(_l("%(name)s left the cell on %(d)s.", name=person.full_name,
                                 d=person.left_on.strftime("%d/%m/%Y")))
        if not person.can_help_on(ctx.on):
            raise GuardFailed(_l("%(name)s is not an official Party member: only official "
                                 "members may help a candidate.", name=person.full_name))
        helpers.append(person)
    return helpers


def _organises(user, organiser: Organisation, day: date) -> bool:
    """Does the user run classes for ``organiser`` (a grant over it that runs classes)?"""
    return user is not None and any(
        node.contains(organiser)
        for node in user.nodes_of({Role.class_organiser}, day, capability="runs_classes"))


def class_named(ctx: StepContext) -> None:
    """The class chosen by ``class_id`` may take the candidate: it exists, is run by a node
    whose subtree holds the receiving Party organisation (or that the organiser's grant
    covers), has not ended on the step's date and has a free place."""
    raw = str(ctx.data.get("class_id") or "")
    klass = (db.session.get(AwarenessClass, int(raw), with_for_update=True)
             if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None)
    if klass is None:
        raise InvalidStepData(_l("Choose the awareness class."))
    if not (klass.organiser.contains(ctx.case.party_org)
            or _organises(ctx.user, klass.organiser, ctx.on)):
        raise GuardFailed(_l("The class %(name)s is not run for this candidate's Party "
                             "organisation.", name=klass.name))
    if klass.has_ended_on(ctx.on):
        raise GuardFailed(_l("The class %(name)s ended on %(d)s.", name=klass.name,
                             d=klass.ends_on.strftime("%d/%m/%Y")))
    already = db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.class_id == klass.id, Enrolment.case_id == ctx.case.id))
    if already:
        raise GuardFailed(_l("The candidate is already enrolled in the class %(name)s.",
                             name=klass.name))
    taken = db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.class_id == klass.id))
    if taken >= klass.capacity:
        raise GuardFailed(_l("The class %(name)s is full (%(n)d places).", name=klass.name,
                             n=klass.capacity))
    ctx.parsed["class"] = klass


def pending_enrolment(case: Case) -> Enrolment | None:
    """The class enrolment awaiting its result (the newest)."""
    return db.session.scalars(select(Enrolment).where(
        Enrolment.case_id == case.id, Enrolment.result == EnrolmentResult.pending)
        .order_by(Enrolment.id.desc()).limit(1)).first()


def read_certificate(ctx: StepContext) -> None:
    cert = {
        "number": sd.text(ctx.data, "certificate_no", _l("Certificate number"), limit=40),
        "issuer": sd.text(ctx.data, "certificate_issuer", _l("Issued by")),
        "issued_on": sd.day(ctx.data, "certificate_on", _l("Certificate date")),
    }
    if cert["issued_on"] > ctx.on:
        raise InvalidStepData(_l("The certificate date cannot be in the future."))
    ctx.parsed["certificate"] = cert


def off_scheme(klass: AwarenessClass):
    """The message for a certificate number outside the class's numbering scheme."""
    example = klass.certificate_number(1)
    if klass.certificate_prefix:
        return _l("The certificate numbers of this class are its prefix %(prefix)s and a "
                  "number, such as %(example)s.", prefix=klass.certificate_prefix,
                  example=example)
    return _l("The certificate numbers of this class are numbers such as %(example)s.",
              example=example)


def results_not_yet(klass: AwarenessClass):
    """The message for a class result recorded before the class's last day."""
    return _l("Results of the class %(name)s can be recorded from %(d)s, its last day.",
              name=klass.name, d=klass.ends_on.strftime("%d/%m/%Y"))


def dated_before_the_end(klass: AwarenessClass):
    """The message for a certificate of the class dated before its last day."""
    return _l("A certificate of this class is dated from its last day, %(d)s.",
              d=klass.ends_on.strftime("%d/%m/%Y"))


def class_result_due(ctx: StepContext) -> None:
    """A class's result, passed or not, is recorded from the class's last day."""
    enrolment = pending_enrolment(ctx.case)
    klass = enrolment.awareness_class if enrolment is not None else None
    if klass is not None and not klass.takes_results_on(ctx.on):
        raise GuardFailed(results_not_yet(klass))


def certificate_of_the_class(ctx: StepContext) -> None:
    """The certificate of the class the candidate attends (after ``read_certificate``): dated
    from the class's last day, numbered in the class's scheme, a number used once."""
    enrolment = pending_enrolment(ctx.case)
    if enrolment is None:
        return
    klass, cert = enrolment.awareness_class, ctx.parsed["certificate"]
    if cert["issued_on"] < klass.ends_on:
        raise InvalidStepData(dated_before_the_end(klass))
    number = klass.read_certificate_number(cert["number"])
    if number is None:
        raise InvalidStepData(off_scheme(klass))
    if db.session.scalar(select(func.count(Enrolment.id)).where(
            Enrolment.class_id == klass.id, Enrolment.certificate_no == number)):
        raise GuardFailed(_l("The certificate number %(no)s is already used in this class.",
                             no=number))
    cert["number"] = number


def certificate_still_valid(ctx: StepContext) -> None:
    """For a candidate who already holds a certificate and skips the class."""
    read_certificate(ctx)
    cert = ctx.parsed["certificate"]
    _certificate_valid_on(ctx, cert["issued_on"], ctx.on)


def _certificate_valid_on(ctx: StepContext, issued_on: date, day: date) -> None:
    months = ctx.rules["certificate_validity_months"]
    if day > add_months(issued_on, months):
        raise GuardFailed(_l(
            "The awareness-class certificate of %(d)s is older than %(n)d months.",
            d=issued_on.strftime("%d/%m/%Y"), n=months))


# --- dossier and cell ---------------------------------------------------------------

def parse_document(raw, on: date) -> dict:
    """One document as typed: the fields of its form, checked; dated no later than ``on``."""
    if not isinstance(raw, dict):
        raise InvalidStepData(_l("%(field)s is required.", field=_l("Form")))
    form = sd.text(raw, "form_code", _l("Form"))
    if form not in RECORDABLE_FORMS:
        raise InvalidStepData(_l("Unknown form %(f)s.", f=form))
    detail = {}
    if form == "3-KNĐ":
        detail = {"official": sd.flag(raw, "official"),
                  "months_together": sd.count(raw, "months_together",
                                              _l("Months worked or lived together"))}
    issued_on = sd.day(raw, "issued_on", _l("Date of the document"))
    if issued_on > on:
        raise InvalidStepData(_l("The date of the %(doc)s cannot be after the step's date.",
                                 doc=RECORDABLE_FORMS[form]))
    return {
        "form_code": form,
        "number": sd.text(raw, "number", _l("Number"), required=False, limit=40),
        "issued_on": issued_on,
        "issuer": sd.text(raw, "issuer", _l("Issued by"), required=form == "3-KNĐ"),
        "verified": sd.flag(raw, "verified"),
        "detail": detail,
    }


def read_documents(ctx: StepContext) -> None:
    """Documents supplied with the step (added to those already on file)."""
    supplied = ctx.data.get("documents") or []
    if not isinstance(supplied, (list, tuple)):
        supplied = [supplied]
    ctx.parsed["documents"] = [parse_document(raw, ctx.on) for raw in supplied]


def _dossier(ctx: StepContext) -> list[dict]:
    """The documents in force (withdrawn ones left out) and those supplied with the step;
    ``stale`` marks those a later transfer left stale (workflow/moved.py)."""
    moves = transfers_of(ctx.case)
    on_file = [{"form_code": d.form_code, "issued_on": d.issued_on, "issuer": d.issuer,
                "verified": d.verified, "detail": d.detail or {},
                "stale": is_stale(d.form_code, d.issued_on, moves)}
               for d in ctx.case.documents if d.withdrawn_on is None]
    return on_file + ctx.parsed.get("documents", [])


def _not_stale(docs: list[dict], form: str, name) -> list[dict]:
    """The documents of ``form`` that no transfer left stale; refused when none is left."""
    fresh = [d for d in docs if not d.get("stale")]
    if not fresh:
        raise GuardFailed(_l("The %(doc)s predates the case's transfer: record it again from "
                             "the new place.", doc=name), form=form)
    return fresh


def not_after(docs: list[dict], day: date, names: dict) -> None:
    """The documents a step relies on (a meeting's dossier) exist on its day."""
    for doc in docs:
        if doc["form_code"] in names and doc["issued_on"] > day:
            raise GuardFailed(_l("The %(doc)s is dated %(d)s, after %(m)s, the date of this "
                                 "step: a step cannot rely on a later document.",
                                 doc=names[doc["form_code"]],
                                 d=doc["issued_on"].strftime("%d/%m/%Y"),
                                 m=day.strftime("%d/%m/%Y")))


def introduces(detail: dict, rules) -> bool:
    """An introducer's letter qualifies: an official member who has worked or lived with the
    candidate long enough."""
    return bool(detail.get("official")) and (
        detail.get("months_together") or 0) >= rules["introducer_min_months"]


def dossier_complete(ctx: StepContext, day: date | None = None) -> None:
    """Every form of the admission dossier is on file, valid on ``day`` and, when ``day``
    is a meeting's, not dated after it; the awareness-class certificate too."""
    day = day or ctx.on
    docs = _dossier(ctx)
    not_after(docs, day, DOSSIER_FORMS)
    validity = ctx.rules["document_validity_months"]
    for form, name in DOSSIER_FORMS.items():
        mine = [d for d in docs if d["form_code"] == form]
        if not mine:
            raise GuardFailed(_l("The dossier lacks the %(doc)s.", doc=name), form=form)
        mine = _not_stale(mine, form, name)
        if form in validity:
            mine = [d for d in mine if day <= add_months(d["issued_on"], validity[form])]
            if not mine:
                raise GuardFailed(_l("The %(doc)s is older than %(n)d months: renew it.",
                                     doc=name, n=validity[form]), form=form)
        if form == "2-KNĐ" and not any(d["verified"] for d in mine):
            raise GuardFailed(_l("The personal history (2-KNĐ) has not been verified."),
                              form=form)
        if form == "3-KNĐ":
            good = [d for d in mine if introduces(d["detail"], ctx.rules)]
            if len(good) < ctx.rules["min_introducer_letters"]:
                raise GuardFailed(_l(
                    "An introducer must be an official Party member who has worked or lived "
                    "with the candidate for at least %(n)d months.",
                    n=ctx.rules["introducer_min_months"]), form=form)
    cert = ctx.case.latest_document("certificate")
    if cert is None:
        raise GuardFailed(_l("The awareness-class certificate is missing."))
    if cert.issued_on > day:
        raise GuardFailed(_l("The awareness-class certificate is dated %(d)s, after %(m)s, the "
                             "date of this step.", d=cert.issued_on.strftime("%d/%m/%Y"),
                             m=day.strftime("%d/%m/%Y")))
    _certificate_valid_on(ctx, cert.issued_on, day)


def cell_vote(ctx: StepContext, passing: bool = True) -> None:
    cell = ctx.case.host_cell
    minimum = ctx.rules["min_cell_official_members"]
    if cell is None or (cell.official_members or 0) < minimum:
        raise GuardFailed(_l("The cell has fewer than %(n)d official members.", n=minimum))
    vote = read_vote(ctx)
    if vote["eligible"] > cell.official_members:
        raise InvalidStepData(_l("The cell has only %(n)d official members.",
                                 n=cell.official_members))
    check_vote(vote, ctx.rules["cell_vote"], "cell", passing)
    ctx.parsed["vote"] = vote
    if passing:
        age = months_between(ctx.case.member.date_of_birth, vote["held_on"])
        over_age_approval = sd.text(ctx.data, "over_age_approval", "", required=False)
        if age < ctx.rules["min_age_months"]:
            raise GuardFailed(_l("At the cell meeting the candidate is under %(y)d years old.",
                                 y=ctx.rules["min_age_months"] // 12))
        if age > ctx.rules["max_age_months"] and not over_age_approval:
            raise GuardFailed(_l(
                "At the cell meeting the candidate is over %(y)d years old: the provincial "
                "committee's approval is required.", y=ctx.rules["max_age_months"] // 12))
        dossier_complete(ctx, vote["held_on"])


def cell_vote_failed(ctx: StepContext) -> None:
    cell_vote(ctx, passing=False)


def committee_vote(ctx: StepContext, passing: bool = True) -> None:
    vote = read_vote(ctx)
    members = ctx.case.party_org.committee_members
    if members and vote["eligible"] != members:
        raise InvalidStepData(_l("The committee has %(n)d members: count all of them.",
                                 n=members))
    check_vote(vote, ctx.rules["committee_vote"], "committee", passing)
    if vote["held_on"] < (ctx.case.cell_resolution_on or vote["held_on"]):
        raise InvalidStepData(_l("The committee cannot meet before the cell's resolution."))
    ctx.parsed["vote"] = vote


def committee_vote_failed(ctx: StepContext) -> None:
    committee_vote(ctx, passing=False)


# --- decision, ceremony, probation, recognition ---------------------------------------

def read_decision(ctx: StepContext) -> None:
    decision = {
        "number": sd.text(ctx.data, "decision_no", _l("Decision number"), limit=40),
        "issued_on": sd.day(ctx.data, "decision_on", _l("Decision date")),
        "received_on": sd.day(ctx.data, "received_on", _l("Date received by the cell"),
                              required=False),
    }
    if decision["issued_on"] > ctx.on:
        raise InvalidStepData(_l("The decision date cannot be in the future."))
    start = ctx.case.recognition_cell_on or ctx.case.cell_resolution_on
    if start and decision["issued_on"] < start:
        raise InvalidStepData(_l("The decision cannot precede the cell's resolution."))
    if decision["received_on"] and decision["received_on"] < decision["issued_on"]:
        raise InvalidStepData(_l("The decision cannot be received before it was signed."))
    ctx.parsed["decision"] = decision


def not_yet_extended(ctx: StepContext) -> None:
    if ctx.case.decision_extended:
        raise GuardFailed(_l("The decision deadline has already been extended once."))


def ceremony_in_time(ctx: StepContext) -> None:
    held = sd.day(ctx.data, "ceremony_on", _l("Ceremony date"))
    received = ctx.case.decision_received_on or ctx.case.decision_on
    if held > ctx.on:
        raise InvalidStepData(_l("The ceremony date cannot be in the future."))
    if held < received:
        raise InvalidStepData(_l("The ceremony cannot precede the receipt of the decision."))
    due = ctx.calendar.add(received, ctx.rules["ceremony_working_days"])
    approval = sd.text(ctx.data, "late_approval", _l("Superior committee's approval"),
                       required=False)
    if held > due and not approval:
        raise GuardFailed(_l(
            "The ceremony is later than %(n)d working days after the decision was received "
            "(due %(due)s): record the superior committee's approval.",
            n=ctx.rules["ceremony_working_days"], due=due.strftime("%d/%m/%Y")))
    ctx.parsed.update(ceremony_on=held, late_approval=approval)


def probation_over(ctx: StepContext) -> None:
    if ctx.case.probation_ends_on is None or ctx.on < ctx.case.probation_ends_on:
        raise GuardFailed(_l("The probation ends on %(d)s.",
                             d=ctx.case.probation_ends_on.strftime("%d/%m/%Y")
                             if ctx.case.probation_ends_on else "?"))


def end_of_probation_vote(ctx: StepContext) -> dict:
    """The cell's vote at the end of probation (on recognition, or on removal): after the
    probation, of no more members than the cell's official ones."""
    probation_over(ctx)
    vote = read_vote(ctx)
    cell = ctx.case.host_cell
    if cell is None or vote["eligible"] > (cell.official_members or 0):
        raise InvalidStepData(_l("More members entitled to vote than the cell's official members."))
    if vote["held_on"] < ctx.case.probation_ends_on:
        raise InvalidStepData(_l("The cell reviews recognition after probation ends."))
    ctx.parsed["vote"] = vote
    return vote


def recognition_cell_vote(ctx: StepContext) -> None:
    check_vote(end_of_probation_vote(ctx), ctx.rules["cell_vote"], "cell")


def removal_cell_vote(ctx: StepContext) -> None:
    """The cell's resolution proposing removal: its votes for (removal) reach the cell's
    threshold (2/3 of the official members)."""
    vote = end_of_probation_vote(ctx)
    if not meets(vote["votes_for"], vote["eligible"], ctx.rules["cell_vote"]):
        rule = ctx.rules["cell_vote"]
        raise GuardFailed(_l("The vote for removal did not reach %(num)d/%(den)d: %(f)d for of "
                             "%(e)d entitled to vote.", num=rule["num"], den=rule["den"],
                             f=vote["votes_for"], e=vote["eligible"]))


def undecided_cell_vote(ctx: StepContext) -> None:
    """A vote reaching neither the threshold for recognition (votes for) nor the threshold
    for removal (votes against recognition, that is for removal)."""
    vote = end_of_probation_vote(ctx)
    rule = ctx.rules["cell_vote"]
    args = {"num": rule["num"], "den": rule["den"], "e": vote["eligible"]}
    if meets(vote["votes_for"], vote["eligible"], rule):
        raise GuardFailed(_l("The vote reached %(num)d/%(den)d for recognition (%(f)d of %(e)d): "
                             "record the cell's recognition resolution.",
                             f=vote["votes_for"], **args))
    if meets(vote["votes_against"], vote["eligible"], rule):
        raise GuardFailed(_l("The vote reached %(num)d/%(den)d for removal (%(f)d of %(e)d): "
                             "record the cell's resolution proposing removal.",
                             f=vote["votes_against"], **args))


def undecided_votes(case: Case) -> int:
    """The cell's votes at the end of probation that reached neither 2/3 (not voided)."""
    return sum(v.kind == VoteKind.undecided_cell and v.voided_on is None for v in case.votes)


def undecided_goes_up(ctx: StepContext) -> bool:
    """This undecided vote makes the rule set's number: the case goes to the body above."""
    return undecided_votes(ctx.case) + 1 >= ctx.rules["recognition_undecided_votes"]


def death_recorded(ctx: StepContext) -> None:
    died = sd.day(ctx.data, "died_on", _l("Date of death"))
    if died > ctx.on:
        raise InvalidStepData(_l("The date of death cannot be after the step's date."))


def recognition_documents(ctx: StepContext) -> None:
    docs = _dossier(ctx)
    for form, name in RECOGNITION_FORMS.items():
        mine = [d for d in docs if d["form_code"] == form]
        if not mine:
            raise GuardFailed(_l("The recognition dossier lacks the %(doc)s.", doc=name),
                              form=form)
        _not_stale(mine, form, name)
    not_after(docs, ctx.on, RECOGNITION_FORMS)


def recognition_decision(ctx: StepContext) -> None:
    if not ctx.case.host_cell.is_grassroots_cell:
        vote = read_vote(ctx, "committee_")
        check_vote(vote, ctx.rules["committee_vote"], "committee")
        ctx.parsed["vote"] = vote
    read_decision(ctx)


def reason_given(ctx: StepContext) -> None:
    if not ctx.comment.strip():
        raise InvalidStepData(_l("Give the reason."))


def host_cell_is_grassroots(ctx: StepContext) -> bool:
    return bool(ctx.case.host_cell and ctx.case.host_cell.is_grassroots_cell)
