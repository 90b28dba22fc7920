"""One specification per step (PROCESS.md §2): everything a state means, in one place.

The transition table (``transitions.py``) says who moves a case from one state to the next and
under which facts; this module says what each state *is*: its label, the plain words the
candidate reads, who acts next, the deadline it waits on, the dossier it records and shows,
its row in the cohort funnel and the Party dashboard, the step some cases go on without, and
the way the demo and the synthetic generator reach it. ``states.py``, the deadlines, the
dossier's stages, the candidate's page, the reports, the diagram, the demo and
``synthetic.py`` read it; none keeps its own per-state list.

Adding a step: a ``Step`` here (in road order), its transitions (and guards or effects if
they are new), and the catalogue.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from .calendar import add_months

RulesOn = Callable[[date], dict]


@dataclass(frozen=True)
class Clock:
    """A deadline: ``days`` (a rule-set key) working days from the case's ``start`` date,
    plus ``extra`` working days once ``extended`` says the step was given more time; met on
    ``met``. ``end`` replaces the working-day count by a date of its own (probation).
    ``sort`` names the case columns (the first not empty) the due date grows with: due lists
    order by it."""
    key: str
    label: object
    start: Callable[..., date | None]
    days: str | None = None
    extra: str | None = None
    extended: Callable[..., bool] = lambda case: False
    met: Callable[..., date | None] = lambda case: None
    end: Callable[..., date] | None = None
    sort: tuple[str, ...] = ()
    extended_column: str | None = None


def probation_end(case, rules_on: RulesOn) -> date | None:
    if not case.ceremony_on:
        return None
    return case.probation_ends_on or add_months(
        case.ceremony_on, rules_on(case.ceremony_on)["probation_months"])


CLOCKS = (
    Clock("decision", _l("Admission decision due"), lambda c, r: c.cell_resolution_on,
          "decision_working_days", "decision_extension_working_days",
          extended=lambda c: c.decision_extended, met=lambda c: c.decision_on,
          sort=("cell_resolution_on",), extended_column="decision_extended"),
    Clock("ceremony", _l("Admission ceremony due"), lambda c, r: c.decision_received_on,
          "ceremony_working_days", met=lambda c: c.ceremony_on, sort=("decision_received_on",)),
    Clock("probation", _l("Probation ends"), lambda c, r: c.ceremony_on,
          end=probation_end),
    Clock("recognition", _l("Cell recognition review due"), probation_end,
          "recognition_cell_working_days", met=lambda c: c.recognition_cell_on,
          sort=("probation_ends_on", "ceremony_on")),
    Clock("recognition_decision", _l("Recognition decision due"),
          lambda c, r: c.recognition_cell_on, "recognition_decision_working_days",
          "recognition_decision_extension_working_days",
          extended=lambda c: c.recognition_decision_extended,
          met=lambda c: c.closed_on if c.state == "official" else None,
          sort=("recognition_cell_on",), extended_column="recognition_decision_extended"),
)
CLOCK = {c.key: c for c in CLOCKS}


@dataclass(frozen=True)
class DueList:
    """A list of the Party dashboard: the cases of a state by its deadline."""
    title: object
    sheet: object           # its worksheet's name in the export (31 characters at most)


@dataclass(frozen=True)
class Demo:
    """The demo's cases at a step: reached from ``via`` = (state, trigger), the trigger
    fired ``repeat`` times (a vote recorded again until the case goes up), ``cases`` of
    them, ``gap`` days apart per step; the first one ``overdue`` when set; the last one by
    ``detour`` when set (a dossier sent back)."""
    via: tuple[str, str] | None
    cases: int = 4
    gap: int = 10
    overdue: bool = False
    detour: tuple[str, str] | None = None   # the last case comes this way instead
    repeat: int = 1


@dataclass(frozen=True)
class Step:
    id: str
    label: object
    now: object                         # where the case is, in the candidate's words
    who_next: object = None             # who acts next, for the candidate (None at an end)
    end: bool = False                   # a final state
    decided: bool = False               # the competent body has decided (no withdrawal)
    deadline: str | None = None         # the ``Clock`` the case waits on in this state
    due_list: DueList | None = None     # its list on the Party dashboard
    records: tuple[str, ...] = ()       # dossier stages whose documents are recorded here
    shows: tuple[str, ...] = ()         # dossier stages whose checklist is shown here
    funnel: bool = True                 # a row of the cohort funnel (ends are counted apart)
    period: object = None               # counted per period under this label (achievement)
    bypass: tuple[str, str] | None = None   # (from, to) of the transition that skips it
    bypass_note: object = None          # why some cases went on without it (cohort)
    main_road: bool = False             # on the road to official membership
    demo: Demo | None = None            # how the demo brings its cases here
    pace: tuple[int, int] = (5, 20)     # working days the synthetic generator spends here
    intake: tuple[str, ...] | None = None   # a case under way may be entered here, with the
                                            # fields the step brings (``case_intake``)


VOTE_FIELDS = ("eligible", "present", "votes_for", "votes_against", "resolution_no")


def vote_fields(prefix: str) -> tuple[str, ...]:
    return tuple(prefix + name for name in VOTE_FIELDS)


ADMISSION, RECOGNITION = "admission", "recognition"
_ADMISSION_ON = (ADMISSION,)
_BOTH = (ADMISSION, RECOGNITION)

STEPS: tuple[Step, ...] = (
    Step("draft", _l("Draft referral"),
         _l("Your union is preparing your nomination."),
         _l("The chair of your grassroots union"), funnel=False, main_road=True,
         demo=Demo(None, gap=5)),
    Step("nominated", _l("Nominated by the union (4A-KNĐ)"),
         _l("Your union has nominated you to the Party organisation, which is reviewing the "
            "nomination."),
         _l("The receiving Party organisation"), shows=_ADMISSION_ON,
         period=_l("Introduced to the Party"), main_road=True,
         demo=Demo(("draft", "submit"), gap=5), pace=(5, 25),
         intake=("nominated_on", "union_held_on", *vote_fields("union_"))),
    Step("accepted", _l("Accepted, helper assigned"),
         _l("The Party organisation has accepted you and assigned a Party member to help you. "
            "Next you attend the Party awareness class."),
         _l("The awareness-class organiser"), shows=_ADMISSION_ON, main_road=True,
         demo=Demo(("nominated", "accept"), gap=10), pace=(3, 20),
         intake=("accepted_on", "host_cell_id", "helpers")),
    Step("in_class", _l("In the Party awareness class"),
         _l("You are enrolled in the Party awareness class."),
         _l("The awareness-class organiser"), shows=_ADMISSION_ON,
         period=_l("Sent to the awareness class"), bypass=("accepted", "certified"),
         bypass_note=_l("%(n)s went on without the class: they already held a valid "
                        "certificate."),
         main_road=True, demo=Demo(("accepted", "enroll"), gap=10)),
    Step("certified", _l("Certificate obtained"),
         _l("You have passed the awareness class and hold its certificate."),
         _l("Your Party cell"), records=_ADMISSION_ON, shows=_ADMISSION_ON, main_road=True,
         demo=Demo(("in_class", "pass_class"), gap=10),
         intake=("certificate_no", "certificate_issuer", "certified_on")),
    Step("dossier", _l("Completing the dossier"),
         _l("Your application dossier is being completed: application, personal history, "
            "introducer's letter and comments."),
         _l("Your Party cell and you (documents)"), records=_ADMISSION_ON,
         shows=_ADMISSION_ON, main_road=True,
         demo=Demo(("certified", "open_dossier"), gap=12,
                   detour=("decision_pending", "return_dossier")), pace=(10, 30),
         intake=()),
    Step("cell_review", _l("Cell review"),
         _l("Your Party cell will consider your admission at its meeting."),
         _l("Your Party cell"), shows=_ADMISSION_ON, main_road=True,
         demo=Demo(("dossier", "send_to_cell"), gap=10),
         intake=()),
    Step("committee_review", _l("Grassroots committee review"),
         _l("The cell has proposed your admission; the grassroots Party committee is "
            "reviewing it."),
         _l("The grassroots Party committee"), deadline="decision", shows=_ADMISSION_ON,
         bypass=("cell_review", "decision_pending"),
         bypass_note=_l("%(n)s went on without this review: their cell is a grassroots "
                        "Party cell, whose resolution goes straight to the competent body."),
         main_road=True, demo=Demo(("cell_review", "cell_approve"), gap=10), pace=(5, 15),
         intake=("cell_resolution_on", *vote_fields("cell_"), "over_age_approval")),
    Step("decision_pending", _l("Awaiting the competent body's decision"),
         _l("Your admission is before the competent Party committee for decision."),
         _l("The competent Party committee"), deadline="decision",
         due_list=DueList(_l("Admission decisions due"), _l("Decisions due")),
         shows=_ADMISSION_ON, bypass=("committee_review", "admitted"),
         bypass_note=_l("%(n)s went on without it: their grassroots committee is authorised "
                        "to admit and decided itself."),
         main_road=True,
         demo=Demo(("committee_review", "committee_approve"), cases=5, gap=20, overdue=True),
         intake=("committee_resolution_on", *vote_fields("committee_"), "decision_extended")),
    Step("admitted", _l("Admission decided"),
         _l("The admission decision has been issued. Your cell will hold the admission "
            "ceremony."),
         _l("Your Party cell"), decided=True, deadline="ceremony",
         due_list=DueList(_l("Admission ceremonies due"), _l("Ceremonies due")),
         shows=_ADMISSION_ON, period=_l("Admitted"), main_road=True,
         demo=Demo(("decision_pending", "admit"), gap=15, overdue=True),
         intake=("decision_no", "decision_on", "decision_received_on", "standing_held_on",
                 *vote_fields("standing_"))),
    Step("probation", _l("Probationary member"),
         _l("You are a probationary Party member until the end of your probation."),
         _l("Your Party cell"), decided=True, deadline="recognition",
         due_list=DueList(_l("Recognition reviews due"), _l("Recognitions due")),
         records=(RECOGNITION,), shows=_BOTH, main_road=True,
         demo=Demo(("admitted", "hold_ceremony"), cases=5, gap=20),
         intake=("ceremony_on", "late_approval", "probation_ends_on")),
    Step("recognition_committee", _l("Grassroots committee recognition review"),
         _l("Your cell has proposed your recognition as an official member; the grassroots "
            "Party committee is reviewing it."),
         _l("The grassroots Party committee"), decided=True, deadline="recognition_decision",
         shows=_BOTH, bypass=("probation", "recognition_review"),
         bypass_note=_l("%(n)s went on without this review: their cell is a grassroots "
                        "Party cell, whose recognition resolution goes straight to the "
                        "competent body."),
         main_road=True, demo=Demo(("probation", "open_recognition"), cases=3, gap=25),
         pace=(5, 15), intake=("recognition_cell_on", *vote_fields("recognition_"))),
    Step("recognition_review", _l("Recognition review"),
         _l("Your recognition as an official member is before the competent Party committee "
            "for decision."),
         _l("The competent Party committee"), decided=True, deadline="recognition_decision",
         shows=_BOTH, main_road=True,
         demo=Demo(("recognition_committee", "recognition_committee_approve"), cases=3,
                   gap=25), pace=(5, 30),
         intake=("recognition_committee_on", *vote_fields("recognition_committee_"),
                 "recognition_decision_extended")),
    # The end of probation when the cell does not propose recognition: it proposes removal
    # (2/3 of its official members), or after repeated votes reaching neither 2/3 the case
    # goes up (29/24-QĐ/TW §4.2c); the competent body removes or recognises.
    Step("removal_review", _l("Removal proposed"),
         _l("Your cell has proposed removing you from the list of probationary members; the "
            "competent Party committee is deciding."),
         _l("The competent Party committee"), decided=True, deadline="recognition_decision",
         funnel=False, shows=_BOTH,
         demo=Demo(("probation", "propose_removal"), cases=2, gap=25), pace=(5, 30)),
    Step("referred_up", _l("Referred to the superior committee"),
         _l("Your cell's votes reached neither recognition nor removal; the superior Party "
            "committee is deciding."),
         _l("The competent Party committee"), decided=True, deadline="recognition_decision",
         funnel=False, shows=_BOTH,
         # the shipped rule sets' ``recognition_undecided_votes``
         demo=Demo(("probation", "record_undecided"), cases=1, gap=25, repeat=3),
         pace=(5, 30)),
    Step("official", _l("Official member"), _l("You are an official Party member."),
         end=True, decided=True, shows=_BOTH, main_road=True,
         demo=Demo(("recognition_review", "recognise"), cases=5, gap=30)),
    Step("rejected", _l("Not admitted"),
         _l("Your admission was not approved this time. You may be nominated again later."),
         end=True, funnel=False, shows=_ADMISSION_ON,
         demo=Demo(("cell_review", "cell_reject"), cases=2, gap=10)),
    Step("withdrawn", _l("Withdrawn"), _l("The referral was withdrawn."),
         end=True, funnel=False, shows=_ADMISSION_ON,
         demo=Demo(("accepted", "withdraw"), cases=2, gap=10)),
    Step("removed", _l("Removed from the probationary list"),
         _l("You were removed from the list of probationary members."),
         end=True, decided=True, funnel=False, shows=_BOTH,
         demo=Demo(("removal_review", "remove"), cases=2, gap=30)),
    # Endings during the process (issue 11 item 7): each its own state, counted apart.
    Step("deceased", _l("Deceased"), _l("The case was closed on the candidate's death."),
         end=True, funnel=False, shows=_ADMISSION_ON,
         demo=Demo(("probation", "record_death"), cases=1, gap=30)),
    Step("left", _l("Left without transfer"),
         _l("The case was closed: you left your work or place of residence without a "
            "transfer of your Party papers."),
         end=True, decided=True, funnel=False, shows=_BOTH,
         demo=Demo(("probation", "record_leaving"), cases=1, gap=30)),
    Step("resigned", _l("Withdrew after the decision"),
         _l("The case was closed at your own request after the admission decision."),
         end=True, decided=True, funnel=False, shows=_BOTH,
         demo=Demo(("admitted", "record_resignation"), cases=1, gap=20)),
    Step("disciplined", _l("Removed for discipline"),
         _l("You were removed from the list of probationary members for a breach of "
            "discipline."),
         end=True, decided=True, funnel=False, shows=_BOTH,
         demo=Demo(("probation", "remove_for_discipline"), cases=1, gap=30)),
)
STEP = {s.id: s for s in STEPS}


def demo_path(state: str, detour: bool = False) -> list[str]:
    """The triggers the demo fires, from a draft, to bring a case to ``state`` (by its
    ``detour`` when asked)."""
    path: list[str] = []
    demo = STEP[state].demo
    via = demo.detour if detour else demo.via
    while via is not None:
        state, trigger = via
        path[:0] = [trigger] * demo.repeat
        demo = STEP[state].demo
        via = demo.via
    return path
