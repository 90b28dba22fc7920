"""The actions a user may take on a case now, each as a bound form, and their handling."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..extensions import db
from ..forms import DayField, NoteField, RadioChoiceField, longest, options, required
from ..models import AuditEvent, Case, Organisation, User
from ..security import allowed_triggers
from ..services import party_members
from ..services.meetings import MEETINGS, meeting_trigger, record_meeting
from ..services.transitions import fire
from ..workflow.guards import CELL_KINDS, competent_body_of, meets
from ..workflow.transitions import Transition, routes, spec
from ..workflow.rulesets import form_name, rule_set_on
from .forms import AcceptForm, ActionForm, VoteForm, form_for

# Refusals are recorded by the meeting form of the approval: the vote decides.
DECIDED_BY_MEETING = frozenset(refuse for _approve, refuse, _t in MEETINGS.values())
MEETING_LABELS = {
    "cell_approve": _l("Record the cell meeting on admission (6-KNĐ)"),
    "committee_approve": _l("Record the grassroots committee meeting on admission (8-KNĐ)"),
    "committee_admit": _l("Record the authorised committee's meeting and admission decision"),
}
# The form a step records, whose printed code (a label of the rule set in force on the
# step's date) follows the step's name: the sources number the recognition forms
# differently (reviews-2026-11 domain.md M5).
STEP_FORMS = {"open_recognition": "13-KNĐ", "recognise": "16-KNĐ"}
# Enrolment happens from an awareness class's page, where capacity is known.
ELSEWHERE = frozenset({"enroll"})


@dataclass
class Action:
    transition: Transition
    form: ActionForm | None
    stale: bool = False      # no longer possible; shown so that nothing typed is lost
    opens_on: date | None = None    # not yet: the step can be taken from this date
    name: object = None             # the step's name today (set by ``available``)

    @property
    def trigger(self) -> str:
        return self.transition.trigger

    @property
    def label(self):
        if self.trigger in MEETING_LABELS:
            return MEETING_LABELS[self.trigger]
        return self.transition.label if self.name is None else self.name

    @property
    def rank(self) -> int:
        """Main step first, then sending back, then side roads, then what closes the case."""
        t = self.transition
        if t.trigger in MEETINGS or (t.work and not t.reason):
            return 0
        if t.send_back:
            return 1
        return 3 if t.reason else 2

    @property
    def negative(self) -> bool:
        return self.rank == 3


def step_label(trigger: str, on: date, rules_on=rule_set_on):
    """The step's name, with the code of the form it records as printed under the rule set
    in force on ``on`` (the step's date); ``rules_on``: a ``rule_book`` on a page that
    already holds one."""
    name = spec(trigger).label
    return form_name(name, STEP_FORMS[trigger], rules_on(on)) if trigger in STEP_FORMS \
        else name


def host_cells(case: Case) -> list[Organisation]:
    """Open cells under the receiving Party organisation (for an enterprise without one,
    the cells of the responsible committee, which is then the receiving organisation)."""
    return db.session.scalars(
        select(Organisation).where(Organisation.kind.in_(CELL_KINDS),
                                   Organisation.closed_on.is_(None),
                                   Organisation.path.startswith(case.party_org.path))
        .order_by(Organisation.name)).all()


def helper_choices(cells: list[Organisation]) -> tuple[list[SelectChoice], list[Organisation]]:
    """The helpers offered, grouped by cell, and the cells with no official member listed."""
    listed = party_members.helpers_by_cell(cells, clock.today())
    choices = [SelectChoice(p.id, p.full_name, optgroup=c.name) for c in cells
               for p in listed[c.id]]
    return choices, [c for c in cells if not listed[c.id]]


def offer_cells(form: ActionForm, case: Case) -> None:
    """The accept form's host cells and, grouped by cell, their official members."""
    if isinstance(form, AcceptForm):
        cells = host_cells(case)
        form.host_cell_id.choices = options((c.id, c.name) for c in cells)
        form.helpers.choices, form.rosterless = helper_choices(cells)


def build_form(trigger: str, case: Case, formdata=None, data: dict | None = None,
               prefix: str | None = None) -> ActionForm:
    """The form of ``trigger`` on ``case``: blank (version and today's date filled in),
    bound to what was posted, or filled with ``data`` (a step being corrected)."""
    form_class = form_for(trigger, spec(trigger).reason, case)
    form = form_class(formdata=formdata, prefix=prefix or trigger, data=data)
    if spec(trigger).dated_by:
        del form.on         # the meeting's, decision's or ceremony's date is the step's date
    offer_cells(form, case)
    if formdata is None:
        form.version.data = case.version
        if "on" in form:
            form.on.data = clock.today()
    if isinstance(form, VoteForm):
        explain_vote(form, case, filled=formdata is None and data is None)
    return form


def _rules_today():
    """The rule set in force today, read once per request however many vote forms the page
    explains (kept in the request's environ: ``g`` may outlive a request in tests)."""
    if not has_request_context():
        return rule_set_on(clock.today())
    key = "referral_flow.rules_today"
    if key not in request.environ:
        request.environ[key] = rule_set_on(clock.today())
    return request.environ[key]


def explain_vote(form: VoteForm, case: Case, filled: bool) -> None:
    """Say what the vote needs, from the rule set in force today: "at least 2/3 in favour:
    6 of 9" when the body's size is known (and fill it in on a blank form)."""
    threshold = {"union": "union_vote", "cell": "cell_vote", "committee": "committee_vote",
                 "standing": "standing_committee_vote"}
    rule = _rules_today()[threshold[form.BODY]]
    committee = competent_body_of(case) if form.COMPETENT else case.party_org
    size = {"union": None, "standing": None,
            "committee": committee.committee_members if committee else None,
            "cell": case.host_cell.official_members if case.host_cell else None}[form.BODY]
    prefix = form.VOTE_PREFIX
    ratio = f"{rule['num']}/{rule['den']}"
    if size:
        need = next((k for k in range(size + 1) if meets(k, size, rule)), size + 1)
        text = (_l("More than %(ratio)s in favour needed: %(need)d of %(n)d.", ratio=ratio,
                   need=need, n=size) if rule["strict"]
                else _l("At least %(ratio)s in favour needed: %(need)d of %(n)d.", ratio=ratio,
                        need=need, n=size))
        if filled:
            form[prefix + "eligible"].data = size
    else:
        text = (_l("More than %(ratio)s of the members counted above must vote in favour.",
                   ratio=ratio) if rule["strict"]
                else _l("At least %(ratio)s of the members counted above must vote in favour.",
                        ratio=ratio))
    form[prefix + "votes_for"].description = text


def available(user: User, case: Case, bound: dict[str, ActionForm] | None = None,
              today: date | None = None) -> list[Action]:
    today = today or clock.today()
    bound = bound or {}
    actions = []
    for trigger in allowed_triggers(user, case, today):
        if trigger in DECIDED_BY_MEETING:
            continue
        opens = spec(trigger).opens
        opens_on = getattr(case, opens) if opens else None
        if opens_on is not None and opens_on <= today:
            opens_on = None
        form = (None if trigger in ELSEWHERE or opens_on
                else bound.get(trigger) or build_form(trigger, case))
        actions.append(Action(spec(trigger), form, opens_on=opens_on,
                              name=step_label(trigger, today)))
    shown = {a.trigger for a in actions}
    actions += [Action(spec(t), form, stale=True, name=step_label(t, today))
                for t, form in bound.items() if t not in shown]
    return sorted(actions, key=lambda a: a.rank)


def step_trigger(action: str, form: ActionForm) -> str:
    """The trigger an action fires: for a meeting, the approval or refusal its vote decides."""
    return meeting_trigger(action, form.step_data()) if action in MEETINGS else action


def perform(case: Case, action: str, user: User, form: ActionForm, *,
            check_permission: bool = True, expected_version: int | None = None) -> Case:
    """Fire ``action`` with what ``form`` holds."""
    kwargs = dict(expected_version=form.version.data if expected_version is None
                  else expected_version, data=form.step_data(),
                  comment=form.comment.data or "", comment_visible=form.comment_visible.data,
                  check_permission=check_permission)
    if action in MEETINGS:
        return record_meeting(case, action, user, **kwargs)
    return fire(case, action, user, on=form.on.data if "on" in form else None, **kwargs)


class CorrectionFields:
    """What a correction adds to the step's form: the reason, and whether to record the
    step again with the corrected figures or only take it back (then the step's own
    fields are not checked)."""
    reason = NoteField(_l("Reason for the correction"), validators=[required, longest(2000)])
    mode = RadioChoiceField(_l("Correction"), default="again", validators=[required], choices=[
        ("again", _l("Record the step again with the corrected data")),
        ("undo", _l("Only take the step back (the case returns to the step before)"))])

    def validate(self, extra_validators=None):
        if self.mode.data != "undo":
            return super().validate(extra_validators)
        checked = [self[name].validate(self) for name in ("csrf_token", "version", "reason",
                                                          "mode") if name in self]
        return all(checked)


def correction_action(event: AuditEvent, case: Case) -> str:
    """The action that records the corrected step again (a meeting's, for its refusal: the
    meeting that routes the case, from the state the step left)."""
    if event.trigger not in DECIDED_BY_MEETING:
        return event.trigger
    before = SimpleNamespace(state=event.from_state, host_cell=case.host_cell,
                             party_org=case.party_org)
    return next(approve for approve, refuse, _t in MEETINGS.values()
                if refuse == event.trigger and routes(approve, before))


def correction_form(event: AuditEvent, case: Case, formdata=None) -> ActionForm:
    """The corrected step's form, filled with what was recorded, plus the reason."""
    action = correction_action(event, case)
    base = form_for(action, spec(action).reason, case)
    form_class = type("CorrectionForm", (CorrectionFields, base), {})
    recorded = {k: v for k, v in event.data.items() if k not in ("undo", "comment_visible")}
    recorded["comment"] = "" if action in MEETINGS and event.trigger != action else event.comment
    form = form_class(formdata=formdata, prefix=f"fix{event.id}",
                      data=_typed(form_class, recorded) if formdata is None else None)
    if spec(action).dated_by:
        del form.on
    offer_cells(form, case)
    if formdata is None:
        form.version.data = case.version
    return form


def _typed(form_class, recorded: dict) -> dict:
    """Recorded step data (JSON: dates as text) as the form's fields expect it."""
    out = {}
    for key, value in recorded.items():
        field = getattr(form_class, key, None)
        if field is not None and field.field_class is DayField and isinstance(value, str):
            value = date.fromisoformat(value[:10])
        out[key] = value
    return out
