"""The actions a user may take on a case now, each as a bound form, and their handling."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..extensions import db
from ..models import Case, Organisation, User
from ..security import allowed_triggers
from ..services import party_members
from ..services.meetings import MEETINGS, record_meeting
from ..services.transitions import fire
from ..workflow.guards import CELL_KINDS
from ..workflow.transitions import Transition, spec
from .forms import AcceptForm, ActionForm, form_for

# Refusals are recorded by the meeting form of the approval: the vote decides.
DECIDED_BY_MEETING = frozenset(refuse for _approve, refuse, _t in MEETINGS.values())
# Enrolment happens from an awareness class's page, where capacity is known.
ELSEWHERE = frozenset({"enroll"})


@dataclass
class Action:
    transition: Transition
    form: ActionForm | None
    stale: bool = False      # no longer possible; shown so that nothing typed is lost

    @property
    def trigger(self) -> str:
        return self.transition.trigger


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


def build_form(trigger: str, case: Case, formdata=None) -> ActionForm:
    form_class = form_for(trigger, spec(trigger).reason)
    form = form_class(formdata=formdata, prefix=trigger) if formdata is not None \
        else form_class(prefix=trigger)
    if isinstance(form, AcceptForm):
        cells = host_cells(case)
        form.host_cell_id.choices = [(c.id, c.name) for c in cells]
        form.helpers.choices, form.rosterless = helper_choices(cells)
    if formdata is None:
        form.version.data = case.version
        form.on.data = clock.today()
    return form


def available(user: User, case: Case, bound: dict[str, ActionForm] | None = None) -> list[Action]:
    bound = bound or {}
    actions = []
    for trigger in allowed_triggers(user, case):
        if trigger in DECIDED_BY_MEETING:
            continue
        form = None if trigger in ELSEWHERE else bound.get(trigger) or build_form(trigger, case)
        actions.append(Action(spec(trigger), form))
    shown = {a.trigger for a in actions}
    actions += [Action(spec(t), form, stale=True) for t, form in bound.items() if t not in shown]
    return actions


def perform(case: Case, trigger: str, user: User, form: ActionForm) -> Case:
    kwargs = dict(expected_version=form.version.data, data=form.step_data(),
                  comment=form.comment.data or "", on=form.on.data,
                  comment_visible=form.comment_visible.data)
    if trigger in MEETINGS:
        return record_meeting(case, trigger, user, **kwargs)
    return fire(case, trigger, user, **kwargs)
