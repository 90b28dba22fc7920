"""The transition table: who fires what, from where, under which guards.

``anchor`` names the organisation of the case that a grant must cover:
``union`` (the nominating union node: a CĐCS, or the union above it), ``party`` (the
receiving Party organisation), ``cell`` (the host cell) or ``own`` (the member's own
case). ``capability``, when set, is a flag the granted Party node must carry.

``work`` says whether the step is the work a case waits for at its state (the inbox's
"to do"); side roads that are always open to someone (withdraw, extend, skip the class
with a certificate already held, the endings) are not. ``opens`` names the case's date from
which the step can be taken (the end of probation); the inbox shows it a configurable
number of working days before.

``dated_by`` names the step data field that holds the step's own date (the meeting, the
decision, the ceremony): that date is the step's date, so the case entered its state on it
and the rule set in force on it judges every fact of the step, the vote included.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from ..models.user import Role
from . import effects as fx
from . import guards as g
from .states import BEFORE_DECISION, DECIDED, OPEN, ORDER

R = Role


@dataclass(frozen=True)
class Transition:
    trigger: str
    source: tuple[str, ...]
    dest: str
    label: object
    roles: frozenset[Role]
    anchor: str
    guards: tuple[Callable, ...] = ()
    effect: Callable = fx.send_back
    reason: bool = False
    capability: str | None = None
    route: Callable | None = None        # extra routing condition on the case (returns bool)
    unless: Callable | None = None
    send_back: bool = False
    work: bool = True
    opens: str | None = None
    dated_by: str | None = None


def T(trigger, source, dest, label, roles, anchor, guards=(), effect=fx.send_back, **kw):
    source = (source,) if isinstance(source, str) else tuple(source)
    return Transition(trigger, source, dest, label, frozenset(roles), anchor, tuple(guards),
                      effect, **kw)


# The open states from the acceptance on: the case has a host cell, which records a death.
WITH_CELL = tuple(s for s in ORDER[ORDER.index("accepted"):] if s in OPEN)

CHAIR, OFFICER, ORGANISER = R.union_chair, R.party_officer, R.class_organiser
SECRETARY, COMPETENT, MEMBER = R.cell_secretary, R.competent_officer, R.member

NOMINATION = (g.member_in_unit, g.citizen_id_recorded, g.no_other_open_case, g.not_youth_route,
              g.readmission_conditions)

TRANSITIONS: list[Transition] = [
    # A union member: the union executive committee's resolution (4A-KNĐ), of the CĐCS or
    # of the union above it for a worker of an enterprise without one; a worker who is not
    # a union member: the letters of two official Party members instead (README).
    T("submit", "draft", "nominated", _l("Submit to the Party organisation"), {CHAIR}, "union",
      [*NOMINATION, g.union_resolution], fx.nominate, route=g.nominated_by_union),
    T("submit", "draft", "nominated", _l("Submit to the Party organisation"), {CHAIR}, "union",
      [*NOMINATION, g.introducers_letters], fx.nominate_introduced, unless=g.nominated_by_union),
    T("record_readmission", "draft", "draft",
      _l("Record a re-admission (a former Party member)"), {CHAIR}, "union",
      [g.read_former_membership], fx.record_readmission, work=False),
    T("return_to_union", "nominated", "draft", _l("Return to the union"), {OFFICER}, "party",
      [g.reason_given], reason=True, send_back=True),
    T("accept", "nominated", "accepted", _l("Accept and assign a helper"), {OFFICER}, "party",
      [g.host_cell_and_helpers], fx.accept),
    T("enroll", "accepted", "in_class", _l("Enrol in an awareness class"), {ORGANISER}, "party",
      [g.class_named], fx.enroll, capability="runs_classes"),
    T("skip_class", "accepted", "certified", _l("Record a valid certificate already held"),
      {OFFICER}, "party", [g.certificate_still_valid], fx.certify, work=False),
    T("pass_class", "in_class", "certified", _l("Passed: record the certificate"), {ORGANISER},
      "party", [g.read_certificate, g.class_result_due, g.certificate_of_the_class], fx.certify,
      capability="runs_classes"),
    T("fail_class", "in_class", "accepted", _l("Did not pass the class"), {ORGANISER}, "party",
      [g.reason_given, g.class_result_due], fx.fail_class, reason=True, capability="runs_classes",
      send_back=True),
    T("open_dossier", "certified", "dossier", _l("Start the dossier"), {SECRETARY, OFFICER},
      "cell", [g.read_documents], fx.record_documents),
    T("send_to_cell", "dossier", "cell_review", _l("Send to the cell meeting"),
      {SECRETARY, OFFICER}, "cell", [g.read_documents, g.dossier_complete, g.background_verified],
      fx.resubmit),
    T("cell_approve", "cell_review", "decision_pending", _l("Record the cell's approval (6-KNĐ)"),
      {SECRETARY}, "cell", [g.cell_vote, g.thcs_diploma], fx.cell_resolution,
      route=g.host_cell_is_grassroots, dated_by="held_on"),
    T("cell_approve", "cell_review", "committee_review",
      _l("Record the cell's approval (6-KNĐ)"), {SECRETARY}, "cell",
      [g.cell_vote, g.thcs_diploma], fx.cell_resolution, unless=g.host_cell_is_grassroots,
      dated_by="held_on"),
    T("cell_reject", "cell_review", "rejected", _l("Record the cell's refusal"), {SECRETARY},
      "cell", [g.reason_given, g.cell_vote_failed], fx.close, reason=True, dated_by="held_on"),
    T("cell_defer", "cell_review", "dossier", _l("Defer: back to the dossier"), {SECRETARY},
      "cell", [g.reason_given], reason=True, send_back=True),
    T("committee_approve", "committee_review", "decision_pending",
      _l("Record the committee's approval (8-KNĐ)"), {OFFICER}, "party", [g.committee_vote],
      fx.committee_resolution, capability="grassroots_committee", dated_by="held_on",
      unless=g.committee_admits),
    T("committee_admit", "committee_review", "admitted",
      _l("Record the authorised committee's admission decision"), {OFFICER}, "party",
      [g.committee_decision], fx.committee_decides, capability="grassroots_committee",
      route=g.committee_admits, dated_by="decision_on"),
    T("committee_reject", "committee_review", "rejected", _l("Record the committee's refusal"),
      {OFFICER}, "party", [g.reason_given, g.committee_vote_failed], fx.close, reason=True,
      capability="grassroots_committee", dated_by="held_on"),
    T("committee_return", "committee_review", "dossier", _l("Return to the cell"), {OFFICER},
      "party", [g.reason_given, g.missing_items], fx.return_dossier, reason=True,
      capability="grassroots_committee", send_back=True),
    T("extend_decision", "decision_pending", "decision_pending",
      _l("Extend the decision deadline"), {COMPETENT}, "party",
      [g.reason_given, g.not_yet_extended], fx.extend_decision, reason=True,
      capability="competent_body", work=False),
    T("admit", "decision_pending", "admitted", _l("Record the admission decision (9-KNĐ)"),
      {COMPETENT}, "party", [g.read_decision, g.standing_committee_vote], fx.admit,
      capability="competent_body", dated_by="decision_on"),
    T("return_dossier", "decision_pending", "dossier",
      _l("Send the dossier back to the cell for more papers"), {COMPETENT}, "party",
      [g.reason_given, g.missing_items], fx.return_dossier, reason=True,
      capability="competent_body", send_back=True),
    T("decline", "decision_pending", "rejected", _l("Decide not to admit"), {COMPETENT}, "party",
      [g.reason_given, g.standing_committee_vote_failed], fx.decline, reason=True,
      capability="competent_body"),
    T("hold_ceremony", "admitted", "probation", _l("Record the admission ceremony"),
      {SECRETARY}, "cell", [g.ceremony_in_time], fx.ceremony, dated_by="ceremony_on"),
    T("open_recognition", "probation", "recognition_review",
      _l("Record the cell's recognition resolution"), {SECRETARY}, "cell",
      [g.read_documents, g.recognition_documents, g.recognition_cell_vote],
      fx.recognition_cell, route=g.host_cell_is_grassroots, opens="probation_ends_on",
      dated_by="held_on"),
    T("open_recognition", "probation", "recognition_committee",
      _l("Record the cell's recognition resolution"), {SECRETARY}, "cell",
      [g.read_documents, g.recognition_documents, g.recognition_cell_vote],
      fx.recognition_cell, unless=g.host_cell_is_grassroots, opens="probation_ends_on",
      dated_by="held_on"),
    T("recognition_committee_approve", "recognition_committee", "recognition_review",
      _l("Record the committee's recognition resolution (15-KNĐ)"), {OFFICER}, "party",
      [g.recognition_committee_vote], fx.recognition_committee,
      capability="grassroots_committee", dated_by="held_on"),
    T("extend_recognition", "recognition_review", "recognition_review",
      _l("Extend the recognition decision deadline"), {COMPETENT}, "party",
      [g.reason_given, g.recognition_not_yet_extended], fx.extend_recognition, reason=True,
      capability="competent_body", work=False),
    T("propose_removal", "probation", "removal_review",
      _l("Record the cell's resolution proposing removal"), {SECRETARY}, "cell",
      [g.reason_given, g.removal_cell_vote], fx.removal_cell, reason=True,
      opens="probation_ends_on", dated_by="held_on"),
    # A vote reaching neither 2/3 for recognition nor 2/3 for removal stays in probation;
    # the one that makes ``recognition_undecided_votes`` sends the case up (29/24 §4.2c).
    T("record_undecided", "probation", "referred_up",
      _l("Record a vote reaching neither recognition nor removal"), {SECRETARY}, "cell",
      [g.undecided_cell_vote], fx.refer_up, route=g.undecided_goes_up,
      opens="probation_ends_on", dated_by="held_on"),
    T("record_undecided", "probation", "probation",
      _l("Record a vote reaching neither recognition nor removal"), {SECRETARY}, "cell",
      [g.undecided_cell_vote], fx.undecided_vote, unless=g.undecided_goes_up,
      opens="probation_ends_on", dated_by="held_on"),
    # The competent body decides; it may recognise a member the cell proposed to remove,
    # with its own committee's vote where the cell is not grassroots (README).
    T("recognise", ("recognition_review", "removal_review", "referred_up"), "official",
      _l("Recognise as an official member"), {COMPETENT}, "party", [g.recognition_decision],
      fx.recognise, capability="competent_body", dated_by="decision_on"),
    T("remove", ("recognition_review", "removal_review", "referred_up"), "removed",
      _l("Remove from the probationary list"), {COMPETENT}, "party",
      [g.reason_given, g.probation_over, g.removal_decision],
      fx.remove, reason=True, capability="competent_body", opens="probation_ends_on"),
    # Endings during the process (issue 11 item 7).
    T("record_death", WITH_CELL, "deceased", _l("Record the candidate's death"),
      {SECRETARY, OFFICER}, "cell", [g.death_recorded], fx.close, work=False,
      dated_by="died_on"),
    T("record_leaving", DECIDED, "left", _l("Record leaving without transfer"), {COMPETENT},
      "party", [g.reason_given], fx.close, reason=True, capability="competent_body",
      work=False),
    T("record_resignation", DECIDED, "resigned", _l("Record the request to stop"),
      {COMPETENT}, "party", [g.reason_given], fx.close, reason=True,
      capability="competent_body", work=False),
    T("remove_for_discipline", DECIDED, "disciplined", _l("Remove for a breach of discipline"),
      {COMPETENT}, "party", [g.reason_given, g.read_decision], fx.close, reason=True,
      capability="competent_body", work=False, dated_by="decision_on"),
    T("withdraw", BEFORE_DECISION, "withdrawn", _l("Withdraw the referral"), {CHAIR}, "union",
      [g.reason_given], fx.close, reason=True, work=False),
    T("withdraw_self", BEFORE_DECISION, "withdrawn", _l("Withdraw my application"), {MEMBER},
      "own", [g.reason_given], fx.close, reason=True, work=False),
]

BY_TRIGGER: dict[str, list[Transition]] = {}
for _t in TRANSITIONS:
    BY_TRIGGER.setdefault(_t.trigger, []).append(_t)
TRIGGERS = tuple(BY_TRIGGER)


def routes(trigger: str, case) -> bool:
    """Does some row of ``trigger`` from the case's state route this case (its ``route`` and
    ``unless``, which read the case only)? An authorised committee decides; others propose."""
    return any(case.state in t.source and (t.route is None or t.route(case))
               and (t.unless is None or not t.unless(case)) for t in BY_TRIGGER[trigger])


def triggers_from(state: str) -> list[str]:
    """Triggers that leave ``state``, in table order, without attaching any case."""
    seen: dict[str, None] = {}
    for t in TRANSITIONS:
        if state in t.source:
            seen.setdefault(t.trigger)
    return list(seen)


# The labels of the fields that carry a step's own date (``dated_by``).
STEP_DATE_LABELS = {"held_on": _l("Meeting date"), "decision_on": _l("Decision date"),
                    "ceremony_on": _l("Ceremony date"), "died_on": _l("Date of death")}


def spec(trigger: str) -> Transition:
    """The first row of a trigger: roles, anchor, capability and reason are the same on all."""
    return BY_TRIGGER[trigger][0]
