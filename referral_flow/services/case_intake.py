"""Entering a case already under way at go-live (issue 10 item 5), on a screen or from a file.

One case comes as plain data (``row``): the member (an existing one by ``member_id`` or
``citizen_id``, or a new person's fields), the union unit, the Party organisation, the host
cell, the step it has reached (``state``), its key dates, its votes and its documents.
Names are flat, so that a file's columns and a form's fields are the same:

- ``nominated_on`` and the union executive committee's vote ``union_*`` (``union_held_on``,
  ``union_eligible``, ``union_present``, ``union_votes_for``, ``union_votes_against``,
  ``union_resolution_no``);
- ``accepted_on``, ``host_cell_id``, ``helpers`` (names, a list or one per line);
- ``certificate_no``, ``certificate_issuer``, ``certified_on``;
- ``documents``: the dossier's documents (``form_code``, ``number``, ``issued_on``,
  ``issuer``, ``verified``, ``official``, ``months_together``);
- the cell's vote ``cell_*`` (its date ``cell_resolution_on``), ``over_age_approval``;
- the committee's vote ``committee_*`` (``committee_resolution_on``);
- ``decision_no``, ``decision_on``, ``decision_received_on``, ``decision_extended``, and,
  optional, the standing committee's vote ``standing_*`` (``standing_held_on``);
- ``ceremony_on``, ``late_approval``, ``probation_ends_on`` (checked, else computed);
- the cell's recognition vote ``recognition_*`` (``recognition_cell_on``) with the recognition
  dossier's documents;
- the grassroots committee's recognition vote ``recognition_committee_*``
  (``recognition_committee_on``), ``recognition_decision_extended``;
- ``since``: when the case reached its step, where no key date says it (the dossier).

The background verification (services/verification.py) of a case entered at the cell's
review or later was done before go-live: its answers are not re-entered. A case entered in
the dossier step records its verification on its page before it goes to the cell.

Each step's facts go through the guards of the transition that takes it, under the rule
set in force on the step's date, on a case built in memory: nothing is fired and nothing
is written unless every check passes. The case then gets its key dates, votes and documents
as the steps' effects write them, its deadlines follow from them (services/deadlines), and
ONE audit event ("import") records it with its source. Errors are (field, message) pairs in
the user's language, so that a file import can report them by row and column. Flushes,
never commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import (Case, CaseHelper, Member, Organisation, PartyMember, PartyStatus, Tree,
                      UnionKind, User)
from ..models.member import Gender
from ..security.permissions import INTAKE, can
from ..text import InvalidValue, validate_citizen_id
from ..workflow import effects as fx
from ..workflow import guards as g
from ..workflow import roster
from ..workflow import stepdata as sd
from ..workflow.calendar import WorkingCalendar, add_months, load_calendar
from ..workflow.context import StepContext
from ..workflow.errors import WorkflowError
from ..workflow.rulesets import NoRuleSet, rule_set_on
from ..workflow.states import ORDER, label
from ..workflow.steps import STEPS as SPEC
from ..workflow.steps import VOTE_FIELDS
from . import audit

IMPORT = "import"
# The steps a case may be entered at, each with the fields it brings (a state needs those of
# every step up to it, and none of a later one), from the step specification (a class under
# way is entered as accepted and enrolled on the class's screen: an enrolment needs the class).
STEPS = [(s.id, s.intake) for s in SPEC if s.intake is not None]
INTAKE_STATES = tuple(state for state, _ in STEPS)

# The votes: kind -> (prefix of their fields, the field of their date).
VOTES = {"union": ("union_", "union_held_on"), "cell": ("cell_", "cell_resolution_on"),
         "committee": ("committee_", "committee_resolution_on"),
         "recognition": ("recognition_", "recognition_cell_on"),
         "recognition_committee": ("recognition_committee_", "recognition_committee_on"),
         "standing": ("standing_", "standing_held_on")}
# The key dates in the order the road takes them (the certificate may predate the rest).
DATE_ORDER = ("nominated_on", "accepted_on", "cell_resolution_on", "committee_resolution_on",
              "decision_on", "decision_received_on", "ceremony_on", "recognition_cell_on",
              "recognition_committee_on")
DATES = DATE_ORDER + ("union_held_on", "certified_on", "probation_ends_on", "since",
                      "standing_held_on")
PERSON = ("full_name", "date_of_birth", "gender", "citizen_id", "job", "direct_production")

LABELS = {
    "member": _l("Member"), "full_name": _l("Full name"), "date_of_birth": _l("Date of birth"),
    "gender": _l("Gender"), "citizen_id": _l("Citizen ID (12 digits)"), "job": _l("Job"),
    "union_unit": _l("Union unit"), "party_org": _l("Party organisation"),
    "state": _l("Current step"), "since": _l("Reached its current step on"),
    "nominated_on": _l("Date of the union's referral"),
    "union_held_on": _l("Union executive committee meeting (4A-KNĐ)"),
    "accepted_on": _l("Date accepted by the Party organisation"),
    "host_cell_id": _l("Host cell"), "helpers": _l("Helpers"),
    "certified_on": _l("Certificate date"), "certificate_no": _l("Certificate number"),
    "certificate_issuer": _l("Certificate issued by"), "documents": _l("Documents"),
    "cell_resolution_on": _l("Cell meeting (6-KNĐ)"),
    "committee_resolution_on": _l("Grassroots committee meeting (8-KNĐ)"),
    "decision_on": _l("Admission decision (9-KNĐ)"),
    "decision_received_on": _l("Date received by the cell"),
    "standing_held_on": _l("Standing committee meeting on the decision"),
    "ceremony_on": _l("Ceremony date"), "probation_ends_on": _l("Probation ends"),
    "recognition_cell_on": _l("Cell recognition meeting"),
    "recognition_committee_on": _l("Grassroots committee recognition meeting"),
}
Errors = list[tuple[str, str]]


@dataclass
class Draft:
    """A case built in memory while its facts are checked; ``errors`` by field."""
    row: dict
    today: date
    case: Case | None = None
    member: Member | None = None
    state: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    calendar: WorkingCalendar = field(default_factory=load_calendar)

    def refuse(self, key: str, message) -> None:
        """The first message of a field is kept (later ones follow from it)."""
        self.errors.setdefault(key, f"{LABELS[key]}: {message}" if key in LABELS
                               else str(message))

    def has(self, key: str) -> bool:
        value = self.row.get(key)
        return value not in (None, "", [], False)

    def at_least(self, state: str) -> bool:
        return bool(self.state) and ORDER.index(self.state) >= ORDER.index(state)


class IntakeRefused(WorkflowError):
    """The case cannot be entered; ``errors`` are (field, message) pairs."""

    def __init__(self, errors: Errors):
        super().__init__("; ".join(message for _key, message in errors))
        self.errors = errors


def check_case(row: dict, user: User | None, *, today: date | None = None,
               check_permission: bool = True) -> Errors:
    """What is wrong with ``row`` as a case under way ([] when it can be entered); writes
    nothing. A file's check job calls it for each row."""
    return draft_case(row, user, today=today, check_permission=check_permission)[1]


def draft_case(row: dict, user: User | None, *, today: date | None = None,
               check_permission: bool = True) -> tuple[Case | None, Errors]:
    """The case ``row`` would create, built in memory and never added to the session (a
    preview shows its deadlines), or None with the errors."""
    draft = _build(row, user, today or clock.today(), check_permission)
    if draft.errors:
        return None, list(draft.errors.items())
    return draft.case, []


def enter_case(row: dict, user: User | None, *, source: dict, today: date | None = None,
               check_permission: bool = True) -> Case:
    """Create the case of ``row`` at its step, with one audit event naming ``source``
    (``{"screen": True}`` or ``{"file": name, "row": n}``); raises IntakeRefused."""
    draft = _build(row, user, today or clock.today(), check_permission)
    if draft.errors:
        raise IntakeRefused(list(draft.errors.items()))
    case = draft.case
    if draft.member.id is None:
        db.session.add(draft.member)
    db.session.add(case)
    db.session.flush()
    written = {}
    if draft.at_least("probation"):
        written["roster"] = roster.enter_admitted(case, PartyStatus.probationary)
    rules = rule_set_on(case.state_since)
    audit.append(trigger=IMPORT, actor_id=user.id if user else None, case_id=case.id,
                 from_state=None, to_state=case.state,
                 data={"on": case.state_since, "source": source, "member_id": case.member_id,
                       "facts": {k: v for k, v in row.items() if k not in PERSON}, **written},
                 rule_set=rules.code)
    return case


# --- building the case, step by step --------------------------------------------------------

def _build(row: dict, user: User | None, today: date, check_permission: bool) -> Draft:
    draft = Draft(row=dict(row), today=today)
    state = str(row.get("state") or "")
    if state not in INTAKE_STATES:
        draft.refuse("state", _l("Choose the step the case has reached."))
        return draft
    draft.state = state
    _check_dates(draft)
    unit, party = _organisations(draft)
    if unit is None or party is None:
        return draft
    draft.case = Case(union_unit=unit, union_unit_id=unit.id, party_org=party,
                      party_org_id=party.id, state=state, version=1)
    if check_permission and not can(user, INTAKE, draft.case, today):
        draft.refuse("party_org", _l("You may not enter cases for this Party organisation."))
        return draft
    draft.member = _member(draft, unit)
    if draft.member is None:
        return draft
    draft.case.member = draft.member
    _beyond_the_step(draft)
    for step in (_nominate, _accept, _certify, _dossier, _cell, _committee, _decision,
                 _ceremony, _recognition, _recognition_committee):
        step(draft)
    dates = [draft.row.get(key) for key in DATES if isinstance(draft.row.get(key), date)]
    dates += [d.issued_on for d in draft.case.documents]
    if dates and not draft.errors:
        draft.case.state_since = max(dates)
        draft.case.referral_year = draft.case.nominated_on.year
    return draft


def _check_dates(draft: Draft) -> None:
    """Every date readable and not in the future; the road's dates in its order."""
    for key in DATES:
        try:
            day = sd.day(draft.row, key, LABELS.get(key, key), required=False)
        except WorkflowError as exc:
            draft.refuse(key, exc)
            draft.row[key] = None
            continue
        draft.row[key] = day
        if day is not None and day > draft.today and key != "probation_ends_on":
            draft.refuse(key, _l("%(d)s is in the future.", d=day.strftime("%d/%m/%Y")))
    previous = None
    for key in DATE_ORDER + ("since",):
        day = draft.row.get(key)
        if day is None:
            continue
        if previous is not None and day < draft.row[previous]:
            draft.refuse(key, _l("%(d)s is before %(other)s (%(o)s).",
                                 d=day.strftime("%d/%m/%Y"), other=LABELS[previous],
                                 o=draft.row[previous].strftime("%d/%m/%Y")))
        previous = key


def _organisations(draft: Draft) -> tuple[Organisation | None, Organisation | None]:
    unit = _node(draft.row.get("union_unit_id"))
    if unit is None or unit.tree != Tree.union or unit.kind != UnionKind.grassroots.value:
        draft.refuse("union_unit", _l("Choose the grassroots union (CĐCS)."))
        unit = None
    party = _node(draft.row.get("party_org_id")) if draft.has("party_org_id") else (
        unit.receiving_party if unit is not None else None)
    if unit is not None and (party is None or party.tree != Tree.party):
        draft.refuse("party_org", _l("The union unit has no receiving Party organisation yet."))
        party = None
    return unit, party


def _node(raw) -> Organisation | None:
    raw = str(raw or "")
    return (db.session.get(Organisation, int(raw))
            if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None)


def _member(draft: Draft, unit: Organisation | None) -> Member | None:
    """The existing member (by id or citizen ID) or a new person of the unit."""
    row = draft.row
    if draft.has("member_id"):
        found = _existing(Member.id, row["member_id"])
    elif draft.has("citizen_id"):
        found = _existing(Member.citizen_id, str(row["citizen_id"]).strip())
    else:
        found = None
    if found is not None:
        if unit is not None and found.unit_id != unit.id:
            draft.refuse("member", _l("The member does not belong to the nominating union "
                                      "unit."))
            return None
        try:
            g.refuse_if_member_or_open(found.id)
        except WorkflowError as exc:
            draft.refuse("member", exc)
            return None
        return found
    if draft.has("member_id"):
        draft.refuse("member", _l("No such member."))
        return None
    return _new_person(draft, unit)


def _existing(column, value) -> Member | None:
    if column is Member.id and not str(value).isdigit():
        return None
    return db.session.scalars(select(Member).where(column == value)).first()


def _new_person(draft: Draft, unit: Organisation | None) -> Member | None:
    row, ok = draft.row, True
    for key in ("full_name", "job"):
        try:
            row[key] = sd.text(row, key, LABELS[key], limit=120)
        except WorkflowError as exc:
            draft.refuse(key, exc)
            ok = False
    try:
        born = sd.day(row, "date_of_birth", LABELS["date_of_birth"])
        if born > draft.today:
            raise InvalidValue(_l("%(d)s is in the future.", d=born.strftime("%d/%m/%Y")))
    except (WorkflowError, InvalidValue) as exc:
        draft.refuse("date_of_birth", exc)
        ok, born = False, None
    if row.get("gender") not in {g_.value for g_ in Gender}:
        draft.refuse("gender", _l("%(field)s is required.", field=LABELS["gender"]))
        ok = False
    try:
        validate_citizen_id(str(row.get("citizen_id") or ""))
    except InvalidValue as exc:
        draft.refuse("citizen_id", exc)
        ok = False
    if not ok or unit is None:
        return None
    return Member(full_name=row["full_name"], date_of_birth=born, gender=Gender(row["gender"]),
                  citizen_id=str(row["citizen_id"]), unit=unit, unit_id=unit.id, job=row["job"],
                  direct_production=sd.flag(row, "direct_production"))


def _beyond_the_step(draft: Draft) -> None:
    """No fact of a step the case has not reached."""
    for state, keys in STEPS:
        if draft.at_least(state):
            continue
        for key in keys:
            if draft.has(key):
                draft.refuse(key, _l("This belongs to a later step than %(state)s.",
                                     state=label(draft.state)))


def _context(draft: Draft, key: str, data: dict, on: date | None = None) -> StepContext | None:
    """The step's context under the rule set in force on the step's date (``on``, else
    ``row[key]``); a missing date or one before every rule set is ``key``'s error."""
    on = on or draft.row.get(key)
    if on is None:
        draft.refuse(key, _l("%(field)s is required.", field=LABELS[key]))
        return None
    try:
        rules = rule_set_on(on)
    except NoRuleSet:
        draft.refuse(key, _l("No rule set was in force on %(d)s.", d=on.strftime("%d/%m/%Y")))
        return None
    return StepContext(case=draft.case, user=None, data=data, on=on, rules=rules,
                       calendar=draft.calendar)


def _vote_data(draft: Draft, kind: str) -> dict:
    prefix, date_key = VOTES[kind]
    data = {name: draft.row.get(prefix + name) for name in VOTE_FIELDS}
    return data | {"held_on": draft.row.get(date_key)}


def _run(draft: Draft, key: str, ctx: StepContext | None, *checks) -> bool:
    """Run the guards (and effects) of a step; a refusal is the field ``key``'s error."""
    if ctx is None:
        return False
    try:
        for check in checks:
            check(ctx)
    except WorkflowError as exc:
        draft.refuse(key, exc)
        return False
    return True


def _nominate(draft: Draft) -> None:
    if draft.member.not_union_member:
        draft.refuse("member", _l(
            "%(name)s is not a union member: enter the referral from the member's page, with "
            "the introducers' letters (3-KNĐ).", name=draft.member.full_name))
        return
    ctx = _context(draft, "nominated_on", _vote_data(draft, "union"))
    _run(draft, "union_held_on", ctx, g.member_in_unit, g.not_youth_route, g.union_resolution,
         fx.nominate)


def _accept(draft: Draft) -> None:
    if not draft.at_least("accepted"):
        return
    ctx = _context(draft, "accepted_on", {"host_cell_id": draft.row.get("host_cell_id")})
    if ctx is None:
        return
    try:
        cell = g.host_cell_named(ctx)
    except WorkflowError as exc:
        draft.refuse("host_cell_id", exc)
        return
    names = _names(draft.row.get("helpers"))
    if not names:
        draft.refuse("helpers", _l("Assign at least one official Party member to help the "
                                   "candidate."))
        return
    on_roster = {p.full_name: p for p in db.session.scalars(
        select(PartyMember).where(PartyMember.cell_id == cell.id))}
    draft.case.host_cell, draft.case.host_cell_id = cell, cell.id
    draft.case.helpers = [CaseHelper(full_name=name, party_member=on_roster.get(name))
                          for name in names]
    draft.case.accepted_on = ctx.on


def _names(raw) -> list[str]:
    items = raw if isinstance(raw, (list, tuple)) else str(raw or "").splitlines()
    return [str(name).strip()[:120] for name in items if str(name).strip()]


def _certify(draft: Draft) -> None:
    """The certificate may predate the referral; the step is judged on the later date."""
    if not draft.at_least("certified") or draft.case.accepted_on is None:
        return
    certified_on = draft.row.get("certified_on")
    ctx = _context(draft, "certified_on", {
        "certificate_no": draft.row.get("certificate_no"),
        "certificate_issuer": draft.row.get("certificate_issuer"),
        "certificate_on": certified_on}, on=max(certified_on or date.min, draft.case.accepted_on))
    _run(draft, "certified_on", ctx, g.read_certificate, fx.certify)


def _dossier(draft: Draft) -> None:
    """The documents on file; a case sent to the cell had a complete dossier on that day
    (``since``, else today)."""
    supplied = draft.row.get("documents") or []
    try:
        docs = [g.parse_document(raw, draft.today) for raw in supplied]
    except WorkflowError as exc:
        draft.refuse("documents", exc)
        return
    ctx = _context(draft, "since", {}, on=draft.row.get("since") or draft.today)
    if ctx is None:
        return
    ctx.parsed["documents"] = docs
    fx.record_documents(ctx)
    if draft.state == "cell_review" and draft.case.certified_on:
        _run(draft, "documents", ctx, g.dossier_complete)


def _grassroots(draft: Draft) -> bool:
    return draft.case.host_cell.is_grassroots_cell


def _cell(draft: Draft) -> None:
    if not draft.at_least("committee_review") or draft.case.host_cell is None:
        return
    if draft.state == "committee_review" and _grassroots(draft):
        draft.refuse("state", _l("The host cell is a grassroots cell: after its vote the case "
                                 "awaits the decision, without a committee review."))
        return
    data = _vote_data(draft, "cell") | {"over_age_approval": draft.row.get("over_age_approval")}
    ctx = _context(draft, "cell_resolution_on", data)
    _run(draft, "cell_resolution_on", ctx, g.cell_vote, fx.cell_resolution)


def _committee(draft: Draft) -> None:
    if not draft.at_least("decision_pending") or draft.case.host_cell is None:
        return
    draft.case.decision_extended = sd.flag(draft.row, "decision_extended")
    if not _grassroots(draft):
        ctx = _context(draft, "committee_resolution_on", _vote_data(draft, "committee"))
        _run(draft, "committee_resolution_on", ctx, g.committee_vote, fx.committee_resolution)
    elif draft.has("committee_resolution_on"):
        draft.refuse("committee_resolution_on", _l(
            "The host cell is a grassroots cell: there is no committee vote."))


def _decision(draft: Draft) -> None:
    if not draft.at_least("admitted") or draft.case.cell_resolution_on is None:
        return
    ctx = _context(draft, "decision_on", {"decision_no": draft.row.get("decision_no"),
                                          "decision_on": draft.row.get("decision_on"),
                                          "received_on": draft.row.get("decision_received_on")})
    # The standing committee's vote is checked when given; old files rarely hold it, and
    # requiring it would keep decided cases out.
    checks = (g.read_decision, g.standing_committee_vote) if draft.has("standing_held_on") \
        else (g.read_decision,)
    if ctx is not None:
        ctx.data |= {"standing_" + name: draft.row.get("standing_" + name)
                     for name in ("held_on", *VOTE_FIELDS)}
    _run(draft, "decision_on", ctx, *checks, fx.admit)


def _ceremony(draft: Draft) -> None:
    if not draft.at_least("probation") or draft.case.decision_on is None:
        return
    ctx = _context(draft, "ceremony_on", {"ceremony_on": draft.row.get("ceremony_on"),
                                          "late_approval": draft.row.get("late_approval")})
    if not _run(draft, "ceremony_on", ctx, g.ceremony_in_time):
        return
    ends = add_months(ctx.on, ctx.rules["probation_months"])
    given = draft.row.get("probation_ends_on")
    if given is not None and given != ends:
        draft.refuse("probation_ends_on", _l(
            "Probation ends on %(d)s, %(n)d months after the ceremony.",
            d=ends.strftime("%d/%m/%Y"), n=ctx.rules["probation_months"]))
    draft.case.ceremony_on, draft.case.probation_ends_on = ctx.on, ends


def _recognition(draft: Draft) -> None:
    if not draft.at_least("recognition_committee") or draft.case.ceremony_on is None:
        return
    if draft.state == "recognition_committee" and _grassroots(draft):
        draft.refuse("state", _l("The host cell is a grassroots cell: after its recognition "
                                 "vote the case awaits the decision, without a committee "
                                 "review."))
        return
    ctx = _context(draft, "recognition_cell_on", _vote_data(draft, "recognition"))
    _run(draft, "recognition_cell_on", ctx, g.recognition_documents, g.recognition_cell_vote,
         fx.recognition_cell)


def _recognition_committee(draft: Draft) -> None:
    if not draft.at_least("recognition_review") or draft.case.recognition_cell_on is None:
        return
    draft.case.recognition_decision_extended = sd.flag(draft.row,
                                                       "recognition_decision_extended")
    if not _grassroots(draft):
        ctx = _context(draft, "recognition_committee_on",
                       _vote_data(draft, "recognition_committee"))
        _run(draft, "recognition_committee_on", ctx, g.recognition_committee_vote,
             fx.recognition_committee)
    elif draft.has("recognition_committee_on"):
        draft.refuse("recognition_committee_on", _l(
            "The host cell is a grassroots cell: there is no committee vote."))
