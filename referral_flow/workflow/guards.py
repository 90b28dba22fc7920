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
                      PartyMember, Role, UnionKind, VoteKind)
from ..text import fold
from . import stepdata as sd
from .calendar import add_months, months_between
from .context import StepContext
from .errors import GuardFailed, InvalidStepData
from .moved import is_stale, transfers_of
from .rulesets import form_name, rule_set_on
from .states import OPEN, STATES
from .verification import Listed, holding

CELL_KINDS = (PartyKind.cell.value, PartyKind.grassroots_cell.value)
# The union nodes that keep members and introduce them: a CĐCS, and the union directly above
# grassroots for workers of an enterprise without one (domain-research.md §5).
MEMBER_UNIT_KINDS = (UnionKind.grassroots.value, UnionKind.upper.value)
# Each form's title by its stable key; shown with the code the rule set prints
# (workflow/rulesets.py ``form_name``).
DOSSIER_FORMS = {
    "1-KNĐ": _l("Application for Party membership"),
    "2-KNĐ": _l("Personal history of the applicant"),
    "3-KNĐ": _l("Introducer's letter"),
    "4A-KNĐ": _l("Resolution of the union executive committee introducing the member"),
    "5-KNĐ": _l("Comments of the organisations and the residence cell"),
}
RECOGNITION_FORMS = {
    "10-KNĐ": _l("Self-assessment of the probationary member"),
    "11-KNĐ": _l("Assessment by the helping Party member"),
    "12-KNĐ": _l("Comments of the organisations and the residence cell during probation"),
    "new_member_certificate": _l("Certificate of the political class for new Party members"),
}
# Forms whose number and issuer are part of the document (a certificate names both).
NUMBERED_FORMS = frozenset({"new_member_certificate"})
# Recorded one by one on the dossier (the 4A-KNĐ comes with the nomination itself).
RECORDABLE_FORMS = {code: name for code, name in (DOSSIER_FORMS | RECOGNITION_FORMS).items()
                    if code != "4A-KNĐ"}


def meets(votes_for: int, base: int, threshold: dict) -> bool:
    """Exact integer comparison: for/base >= num/den (or > when strict)."""
    left, right = votes_for * threshold["den"], threshold["num"] * base
    return left > right if threshold["strict"] else left >= right


BODY = {"cell": _l("cell"), "committee": _l("committee"),
        "standing": _l("standing committee")}


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
    """The member is on the roster of the nominating union node: a CĐCS, or the union
    directly above grassroots for a worker of an enterprise without a CĐCS, whose employer
    is then named."""
    case = ctx.case
    if case.member.unit_id != case.union_unit_id:
        raise GuardFailed(_l("The member does not belong to the nominating union unit."))
    if not case.union_unit.is_open_on(ctx.on):
        raise GuardFailed(_l("The union unit is closed."))
    if case.union_unit.kind not in MEMBER_UNIT_KINDS:
        raise GuardFailed(_l("Only a grassroots union (CĐCS) or the union directly above "
                             "grassroots introduces members."))
    if case.union_unit.kind != UnionKind.grassroots.value and not case.member.employer.strip():
        raise GuardFailed(_l("%(name)s is on the roster of %(unit)s, a union above grassroots: "
                             "name the employer (an enterprise without a CĐCS) on the member's "
                             "page before the nomination.", name=case.member.full_name,
                             unit=case.union_unit.name))


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
    if case.state in ("probation", "recognition_committee", "recognition_review"):
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


def nominated_by_union(case: Case) -> bool:
    """The route of the case's nomination: the union executive committee's resolution
    (4A-KNĐ), or, for a worker who is not a union member, official Party members' letters.
    Before the nomination the member's flag says which; after it, the resolution on file
    (withdrawn with its vote when the nomination is corrected)."""
    if case.state == "draft":
        return not case.member.not_union_member
    return case.latest_document("4A-KNĐ") is not None


def introducers_letters(ctx: StepContext) -> None:
    """A worker who is not a union member: the letters (3-KNĐ) of as many official Party
    members as the rule set asks, each of them a different person who has worked or lived
    with the candidate long enough (Charter Art. 4.1)."""
    read_documents(ctx)
    letters = ctx.parsed["documents"]
    if any(d["form_code"] != "3-KNĐ" for d in letters):
        raise InvalidStepData(_l("Only introducers' letters (3-KNĐ) are recorded with this "
                                 "nomination."))
    needed = ctx.rules["introducers_without_union"]
    good = {fold(d["issuer"]) for d in letters if introduces(d["detail"], ctx.rules)}
    if len(good) < needed:
        raise GuardFailed(_l(
            "%(name)s is not a union member: %(n)d introducers' letters (3-KNĐ) are needed, "
            "from different official Party members who have worked or lived with the "
            "candidate for at least %(m)d months.", name=ctx.case.member.full_name, n=needed,
            m=ctx.rules["introducer_min_months"]), form="3-KNĐ")


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
                                 doc=form_name(RECORDABLE_FORMS[form], form, rule_set_on(on))))
    certified_on = None
    if form == "2-KNĐ":
        certified_on = sd.day(raw, "certified_on", _l("Certified by the grassroots committee on"),
                              required=False)
        if certified_on and not issued_on <= certified_on <= on:
            raise InvalidStepData(_l("The committee certifies the personal history after it "
                                     "is written and no later than the step's date."))
    return {
        "form_code": form,
        "number": sd.text(raw, "number", _l("Number"), required=form in NUMBERED_FORMS,
                          limit=40),
        "issued_on": issued_on,
        "issuer": sd.text(raw, "issuer", _l("Issued by"),
                          required=form == "3-KNĐ" or form in NUMBERED_FORMS),
        "verified": sd.flag(raw, "verified"),
        "certified_on": certified_on,
        "detail": detail,
    }


def valid_from(doc) -> date:
    """The day a document's validity runs from: its date, or for the personal history its
    certification by the grassroots committee when recorded (domain.md M4)."""
    certified = doc.get("certified_on") if isinstance(doc, dict) else doc.certified_on
    issued = doc["issued_on"] if isinstance(doc, dict) else doc.issued_on
    return certified or issued


def valid_until(doc, validity: dict) -> date | None:
    """The last day of a document (a dict as parsed, or a Document) under ``validity``
    (months per form code, the rule set's ``document_validity_months``)."""
    form = doc["form_code"] if isinstance(doc, dict) else doc.form_code
    months = validity.get(form)
    return add_months(valid_from(doc), months) if months else None


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
                "verified": d.verified, "certified_on": d.certified_on, "detail": d.detail or {},
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
                                 doc=form_name(names[doc["form_code"]], doc["form_code"],
                                               rule_set_on(day)),
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
    by_union = nominated_by_union(ctx.case)
    for form, title in DOSSIER_FORMS.items():
        if form == "4A-KNĐ" and not by_union:
            continue        # introduced by Party members' letters: no union resolution
        name = form_name(title, form, ctx.rules)
        mine = [d for d in docs if d["form_code"] == form]
        if not mine:
            raise GuardFailed(_l("The dossier lacks the %(doc)s.", doc=name), form=form)
        mine = _not_stale(mine, form, name)
        if form in validity:
            mine = [d for d in mine if day <= valid_until(d, validity)]
            if not mine:
                raise GuardFailed(_l("The %(doc)s is older than %(n)d months: renew it.",
                                     doc=name, n=validity[form]), form=form)
        if form == "2-KNĐ" and not any(d["verified"] for d in mine):
            raise GuardFailed(_l("The personal history (2-KNĐ) has not been verified."),
                              form=form)
        if form == "3-KNĐ":
            good = {fold(d["issuer"]) for d in mine if introduces(d["detail"], ctx.rules)}
            if by_union and len(good) < ctx.rules["min_introducer_letters"]:
                raise GuardFailed(_l(
                    "An introducer must be an official Party member who has worked or lived "
                    "with the candidate for at least %(n)d months.",
                    n=ctx.rules["introducer_min_months"]), form=form)
            if not by_union and len(good) < ctx.rules["introducers_without_union"]:
                raise GuardFailed(_l(
                    "Without a union resolution %(n)d introducers are needed: official Party "
                    "members who have worked or lived with the candidate for at least %(m)d "
                    "months.", n=ctx.rules["introducers_without_union"],
                    m=ctx.rules["introducer_min_months"]), form=form)
    cert = ctx.case.latest_document("certificate")
    if cert is None:
        raise GuardFailed(_l("The awareness-class certificate is missing."))
    if cert.issued_on > day:
        raise GuardFailed(_l("The awareness-class certificate is dated %(d)s, after %(m)s, the "
                             "date of this step.", d=cert.issued_on.strftime("%d/%m/%Y"),
                             m=day.strftime("%d/%m/%Y")))
    _certificate_valid_on(ctx, cert.issued_on, day)


def background_verified(ctx: StepContext) -> None:
    """The cell considers the case only after the background verification's results and
    the residence area's opinion (domain.md R12, R13; workflow/verification.py)."""
    missing = holding(ctx.case, ctx.on)
    if missing:
        raise GuardFailed(_l("The cell can consider the case only once the background "
                             "verification is complete. Still awaited: %(what)s.",
                             what=Listed(missing)))


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
                "At the cell meeting the candidate is over %(y)d years old: the approval of "
                "the Party committee directly under the Central Committee is required.",
                y=ctx.rules["max_age_months"] // 12))
        dossier_complete(ctx, vote["held_on"])


def thcs_diploma(ctx: StepContext) -> None:
    """A lower-secondary (THCS) diploma or higher where the rule set requires it
    (24-QĐ/TW §1.2.1), unless the member's record holds the Secretariat's exception; an
    education not recorded (members kept before the field) must be recorded first. A guard
    of the live cell vote only: a case entered already past it (services/case_intake) was
    judged by its cell then, and the roster may not hold the diploma."""
    member = ctx.case.member
    if not ctx.rules["thcs_required"]:
        return
    if member.education is None:
        raise GuardFailed(_l(
            "The education of %(name)s is not recorded: the union records it on the "
            "member's page (a lower-secondary diploma, THCS, or higher is required).",
            name=member.full_name))
    if not member.education.meets_thcs and not member.education_exception.strip():
        raise GuardFailed(_l(
            "%(name)s has no lower-secondary (THCS) diploma: admission needs one, or the "
            "Secretariat's exception recorded on the member's page.", name=member.full_name))


def cell_vote_failed(ctx: StepContext) -> None:
    cell_vote(ctx, passing=False)


def read_committee_vote(ctx: StepContext, committee: Organisation | None, after: date | None,
                        prefix: str = "", passing: bool = True) -> dict:
    """A committee's vote: all its members counted (when their number is known), at least
    2/3 of them for (or short of it, for a refusal), held no earlier than ``after`` (the
    resolution it considers)."""
    vote = read_vote(ctx, prefix)
    members = committee.committee_members if committee is not None else None
    if members and vote["eligible"] != members:
        raise InvalidStepData(_l("The committee has %(n)d members: count all of them.",
                                 n=members))
    check_vote(vote, ctx.rules["committee_vote"], "committee", passing)
    if after is not None and vote["held_on"] < after:
        raise InvalidStepData(_l("The committee cannot meet before the cell's resolution."))
    return vote


def committee_vote(ctx: StepContext, passing: bool = True) -> None:
    ctx.parsed["vote"] = read_committee_vote(ctx, ctx.case.party_org,
                                             ctx.case.cell_resolution_on, passing=passing)


def committee_vote_failed(ctx: StepContext) -> None:
    committee_vote(ctx, passing=False)


def committee_decision(ctx: StepContext) -> None:
    """An authorised committee admits with at least 2/3 of ALL its members (06-HD/TW §3.7a):
    its size must be on record, and the decision it signs follows its meeting."""
    if not ctx.case.party_org.committee_members:
        raise GuardFailed(_l("Record the number of the committee's members on the organisation "
                             "first: an authorised committee decides with 2/3 of all its "
                             "members."))
    committee_vote(ctx)         # its meeting is not after the decision, the step's date
    read_decision(ctx)


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


def standing_committee_vote(ctx: StepContext, passing: bool = True) -> None:
    """The standing committee's vote on the admission: on the decision (9-KNĐ), after
    ``read_decision``, at least the rule set's share of its members, held between the cell's
    resolution and the decision; on not admitting (``passing`` false), short of that share,
    held after the cell's resolution."""
    vote = read_vote(ctx, "standing_")
    check_vote(vote, ctx.rules["standing_committee_vote"], "standing", passing)
    if passing and vote["held_on"] > ctx.parsed["decision"]["issued_on"]:
        raise InvalidStepData(_l("The standing committee meets before the decision is signed."))
    if vote["held_on"] < (ctx.case.cell_resolution_on or vote["held_on"]):
        raise InvalidStepData(_l("The standing committee cannot meet before the cell's "
                                 "resolution."))
    ctx.parsed["standing_vote"] = vote


def standing_committee_vote_failed(ctx: StepContext) -> None:
    standing_committee_vote(ctx, passing=False)


def not_yet_extended(ctx: StepContext) -> None:
    if ctx.case.decision_extended:
        raise GuardFailed(_l("The decision deadline has already been extended once."))


def recognition_not_yet_extended(ctx: StepContext) -> None:
    if ctx.case.recognition_decision_extended:
        raise GuardFailed(_l("The recognition decision deadline has already been extended "
                             "once."))


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


def undecided_goes_up(case: Case) -> bool:
    """This undecided vote makes the rule set's number: the case goes to the body above.
    A routing reads the case only (``transitions.routes``): the number is the one of the
    rule set in force when probation ended, when the votes became due."""
    rules = rule_set_on(case.probation_ends_on)
    return undecided_votes(case) + 1 >= rules["recognition_undecided_votes"]


def death_recorded(ctx: StepContext) -> None:
    died = sd.day(ctx.data, "died_on", _l("Date of death"))
    if died > ctx.on:
        raise InvalidStepData(_l("The date of death cannot be after the step's date."))


def recognition_documents(ctx: StepContext) -> None:
    docs = _dossier(ctx)
    for form, title in RECOGNITION_FORMS.items():
        name = form_name(title, form, ctx.rules)
        mine = [d for d in docs if d["form_code"] == form]
        if not mine:
            raise GuardFailed(_l("The recognition dossier lacks the %(doc)s.", doc=name),
                              form=form)
        _not_stale(mine, form, name)
    not_after(docs, ctx.on, RECOGNITION_FORMS)


def recognition_committee_vote(ctx: StepContext) -> None:
    """The grassroots committee's recognition resolution (15-KNĐ) on the cell's (13-KNĐ)."""
    ctx.parsed["vote"] = read_committee_vote(ctx, ctx.case.party_org,
                                             ctx.case.recognition_cell_on)


def competent_body_of(case: Case) -> Organisation | None:
    """The competent body over the case: the nearest node, from the receiving Party
    organisation up, competent to decide."""
    ids = [int(i) for i in case.party_org.path.strip("/").split("/") if i]
    nodes = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)))}
    return next((nodes[i] for i in reversed(ids) if nodes[i].competent_body), None)


def competent_committee_vote(ctx: StepContext) -> dict:
    """The competent body's committee vote at the end of probation (on recognition, or on
    removal): all its members counted, at least 2/3 of them for, after the resolutions it
    decides on (the grassroots committee's, else the cell's)."""
    committee = ctx.case.latest_vote(VoteKind.recognition_committee)
    after = committee.held_on if committee is not None else ctx.case.recognition_cell_on
    return read_committee_vote(ctx, competent_body_of(ctx.case), after, "committee_")


def recognition_decision(ctx: StepContext) -> None:
    """The competent body's decision (16-KNĐ) and its committee's vote on it."""
    vote = competent_committee_vote(ctx)
    read_decision(ctx)
    if ctx.parsed["decision"]["issued_on"] < vote["held_on"]:
        raise InvalidStepData(_l("The decision cannot precede the committee's vote."))
    ctx.parsed["vote"] = vote


def removal_decision(ctx: StepContext) -> None:
    """The competent body's committee vote removing the probationer from the list: its
    votes for (removal) reach the threshold of all its members."""
    ctx.parsed["removal_vote"] = competent_committee_vote(ctx)


# The papers a body returning the dossier may list as missing: the dossier's forms and the
# awareness-class certificate (plus free text for anything else).
MISSING_CHOICES = {code: form_name(title, code, None) for code, title in
                   {**DOSSIER_FORMS, "certificate": _l("Awareness-class certificate")}.items()}


def missing_items(ctx: StepContext) -> None:
    """A dossier sent back says what is missing: forms of the dossier, a note, or both."""
    raw = ctx.data.get("missing") or []
    codes = [raw] if isinstance(raw, str) else list(raw)
    unknown = [c for c in codes if c not in MISSING_CHOICES]
    if unknown:
        raise InvalidStepData(_l("Unknown form %(f)s.", f=", ".join(map(str, unknown))))
    note = sd.text(ctx.data, "missing_note", _l("Other missing items"), required=False,
                   limit=1000)
    forms = [c for c in MISSING_CHOICES if c in codes]      # in the dossier's order
    if not forms and not note:
        raise InvalidStepData(_l("List what is missing: choose the forms or describe it."))
    ctx.parsed["missing"] = {"forms": forms, "note": note}
    ctx.data["missing"] = forms         # recorded in the step's audit event as read


def reason_given(ctx: StepContext) -> None:
    if not ctx.comment.strip():
        raise InvalidStepData(_l("Give the reason."))


# --- routing: read the case only (``transitions.routes`` asks them of a case) -------------

def host_cell_is_grassroots(case: Case) -> bool:
    return bool(case.host_cell and case.host_cell.is_grassroots_cell)


def committee_admits(case: Case) -> bool:
    """The receiving Party organisation is a grassroots committee authorised to admit
    (06-HD/TW §3.7a): it decides itself, without the proposal to the competent body."""
    return bool(case.party_org and case.party_org.authorised_to_admit)


# --- re-admission (kết nạp lại, 294-QĐ/TW §3.5) ---------------------------------------------

FORMER_EXITS = {
    "removed": _l("Removed from the Party's list (xóa tên)"),
    "dismissed": _l("Let go from the Party (cho ra khỏi Đảng)"),
    "expelled": _l("Expelled (khai trừ)"),
    "quit": _l("Left at his or her own request (xin ra khỏi Đảng)"),
}
EXIT_GROUNDS = {
    "other": _l("None of the grounds below"),
    "family_hardship": _l("Asked to leave because of special family hardship"),
    "minor_conviction": _l("Convicted of a less serious offence, the record since cleared"),
    "abandoned": _l("Abandoned Party activities"),
    "quit_request": _l("Asked to leave, not because of special family hardship"),
    "disunity": _l("Caused serious internal disunity"),
    "corruption": _l("Convicted of corruption"),
    "serious_crime": _l("Convicted of a serious offence or worse"),
}
# 294-QĐ/TW §3.5.2 (as 24-QĐ/TW and 232-QĐ/TW before it): no re-admission after these.
BARRED_GROUNDS = frozenset({"abandoned", "quit_request", "disunity", "corruption",
                            "serious_crime"})


def _choice(data: dict, key: str, choices: dict, message) -> str:
    value = str(data.get(key) or "")
    if value not in choices:
        raise InvalidStepData(message)
    return value


def read_former_membership(ctx: StepContext) -> None:
    """The former membership of a candidate for re-admission, as typed, checked against
    the conditions at once (``readmission_allowed``)."""
    d = ctx.data
    facts = {
        "former_admitted_on": sd.day(d, "former_admitted_on", _l("Admitted to the Party on")),
        "former_left_on": sd.day(d, "former_left_on", _l("Left the Party on")),
        "former_exit": _choice(d, "former_exit", FORMER_EXITS,
                               _l("Choose how the former membership ended.")),
        "former_exit_ground": _choice(d, "former_exit_ground", EXIT_GROUNDS,
                                      _l("Choose the ground on which the person left.")),
        "former_exit_reason": sd.text(d, "former_exit_reason", _l("Reason for leaving"),
                                      limit=2000),
        "conviction_cleared_on": sd.day(d, "conviction_cleared_on",
                                        _l("Conviction cleared on"), required=False),
        "readmission_consent": sd.text(
            d, "readmission_consent",
            _l("Written consent of the provincial Party standing committee"), limit=200),
        "former_readmitted": sd.flag(d, "former_readmitted"),
    }
    if facts["former_left_on"] < facts["former_admitted_on"]:
        raise InvalidStepData(_l("The person cannot leave the Party before being admitted."))
    if facts["former_left_on"] > ctx.on:
        raise InvalidStepData(_l("The date of leaving cannot be after the step's date."))
    cleared = facts["conviction_cleared_on"]
    if facts["former_exit_ground"] == "minor_conviction" and cleared is None:
        raise InvalidStepData(_l("%(field)s is required.", field=_l("Conviction cleared on")))
    if cleared is not None and cleared > ctx.on:
        raise InvalidStepData(_l("The conviction cannot be cleared after the step's date."))
    ctx.parsed["readmission"] = facts
    readmission_allowed(ctx.case, facts, ctx.on, ctx.rules)


def readmission_allowed(case: Case, facts: dict, on: date, rules) -> None:
    """294-QĐ/TW §3.5: not on a ground that bars it, re-admitted once only, and not before
    the months the rule set asks since leaving (after a cleared conviction for a less
    serious offence, since it was cleared)."""
    ground = facts["former_exit_ground"]
    if ground in BARRED_GROUNDS:
        raise GuardFailed(_l("A person who left the Party on this ground is not re-admitted "
                             "(294-QĐ/TW §3.5.2): %(ground)s.", ground=EXIT_GROUNDS[ground]))
    earlier = db.session.scalar(select(func.count(Case.id)).where(
        Case.member_id == case.member_id, Case.id != case.id, Case.readmission.is_(True),
        Case.decision_on.is_not(None)))
    if facts["former_readmitted"] or earlier:
        raise GuardFailed(_l("%(name)s was re-admitted to the Party once already: a person is "
                             "re-admitted only once (294-QĐ/TW §3.5.3).",
                             name=case.member.full_name))
    conviction = ground == "minor_conviction"
    months = rules["readmission_after_conviction_months" if conviction
                   else "readmission_min_months"]
    since = facts["conviction_cleared_on" if conviction else "former_left_on"]
    first = add_months(since, months)
    if on >= first:
        return
    args = {"n": months, "d": since.strftime("%d/%m/%Y"), "first": first.strftime("%d/%m/%Y")}
    if conviction:
        raise GuardFailed(_l("After a conviction for a less serious offence, re-admission is "
                             "considered at least %(n)d months after the conviction was "
                             "cleared (%(d)s), so from %(first)s (294-QĐ/TW §3.5.1).", **args))
    raise GuardFailed(_l("Re-admission is considered at least %(n)d months after leaving the "
                         "Party (%(d)s), so from %(first)s (294-QĐ/TW §3.5.1).", **args))


READMISSION_FACTS = ("former_admitted_on", "former_left_on", "former_exit",
                     "former_exit_ground", "former_exit_reason", "conviction_cleared_on",
                     "readmission_consent", "former_readmitted")


def readmission_conditions(ctx: StepContext) -> None:
    """At the nomination, a re-admission still meets its conditions on the step's date."""
    case = ctx.case
    if case.readmission:
        readmission_allowed(case, {k: getattr(case, k) for k in READMISSION_FACTS}, ctx.on,
                            ctx.rules)
