"""The case page's background verification (services/verification.py): the forms to add a
relative or a check, send a request, record its answer, ask for and receive the residence
area's opinion, and the panel that shows them with what still holds the case."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from ..forms import ChoiceField, DayField, Form, NoteField, TextField, longest, optional, required
from ..forms.fields import options
from ..models import Answer, Case, User
from ..services import verification as vf
from ..workflow.calendar import WorkingCalendar
from ..workflow.verification import RELATIONS, TOPICS


class RelativeForm(Form):
    relation = ChoiceField(_l("Relation"), validators=[required],
                           choices=[(r.value, label) for r, label in RELATIONS.items()])
    full_name = TextField(_l("Full name"), validators=[required, longest(120)])
    abroad = BooleanField(_l("Lives abroad"))
    country = TextField(_l("Country (if abroad)"), validators=[optional, longest(80)])
    exempt = BooleanField(_l("A Party member who has fully declared his or her history: no "
                             "verification needed"))


class CheckForm(Form):
    topic = ChoiceField(_l("Question to check"), validators=[required],
                        choices=[(t.value, label) for t, label in TOPICS.items()])
    note = NoteField(_l("Note"), validators=[optional, longest(vf.NOTE_LIMIT)])


class RequestForm(Form):
    subject = ChoiceField(_l("About"), validators=[required])
    sent_to = TextField(_l("Sent to (committee or agency)"), validators=[required, longest(200)],
                        description=_l("For a relative abroad: the overseas Party committee or "
                                       "the embassy."))
    sent_on = DayField(_l("Date sent"), validators=[required])


class AnswerForm(Form):
    answered_on = DayField(_l("Date answered"), validators=[required])
    result = ChoiceField(_l("Result"), validators=[required],
                         choices=[(Answer.clear.value, _l("No concerns")),
                                  (Answer.concerns.value, _l("Concerns"))])
    note = NoteField(_l("Note (required when there are concerns)"),
                     validators=[optional, longest(vf.NOTE_LIMIT)])


class ResidenceForm(Form):
    residence_cell = TextField(_l("Residence cell asked"), validators=[required, longest(200)])
    requested_on = DayField(_l("Date asked"), validators=[required])


class ReceivedForm(Form):
    received_on = DayField(_l("Date received"), validators=[required])
    summary = NoteField(_l("What it says"), validators=[required, longest(vf.NOTE_LIMIT)])


# what -> (form, service, whether the URL names the row it changes)
ACTIONS = {
    "relative": (RelativeForm, vf.add_relative, False),
    "edit": (RelativeForm, vf.edit_relative, True),
    "check": (CheckForm, vf.add_check, False),
    "request": (RequestForm, vf.send_request, False),
    "answer": (AnswerForm, vf.record_answer, True),
    "residence": (ResidenceForm, vf.request_residence_opinion, False),
    "received": (ReceivedForm, vf.receive_residence_opinion, True),
}


def prefix_of(what: str, item_id: int | None = None) -> str:
    return f"v-{what}{item_id or ''}"


def _subjects(board: vf.Board) -> list[tuple[str, object]]:
    return [(s.key, s.label) for s in board.relatives + board.checks
            if s.status != "exempt"]


def verification_form(what: str, board: vf.Board, item_id: int | None = None, formdata=None,
                      item=None) -> Form:
    """The form of ``what`` (filled with the relative ``item`` to edit it)."""
    form_class = ACTIONS[what][0]
    data = None
    if item is not None and formdata is None:
        data = {"relation": item.relation.value, "full_name": item.full_name,
                "abroad": item.abroad, "country": item.country, "exempt": item.exempt}
    form = form_class(formdata=formdata, prefix=prefix_of(what, item_id), data=data)
    if what == "request":
        form.subject.choices = options(_subjects(board))
    return form


def values(form: Form) -> dict:
    return {k: v for k, v in form.data.items() if k != "csrf_token"}


def save(what: str, case: Case, user: User, form: Form, item_id: int | None) -> None:
    service, by_item = ACTIONS[what][1], ACTIONS[what][2]
    if by_item:
        service(case, item_id, user, values(form))
    else:
        service(case, user, values(form))


def verification_panel(case: Case, user: User, today: date, calendar: WorkingCalendar,
                       bound: dict | None = None) -> dict | None:
    """The section's board and, for who may record it now, its forms by prefix; shown from
    the nomination on, with the admission dossier."""
    if case.state not in vf.STAGE.shown_in:
        return None
    board = vf.board(case, calendar, today)
    forms = {}
    if vf.may_verify(user, case):
        bound = bound or {}

        def form(what, item_id=None, item=None):
            key = prefix_of(what, item_id)
            forms[key] = bound.get(key) or verification_form(what, board, item_id, item=item)
        for what in ("relative", "check", "residence"):
            form(what)
        if _subjects(board):
            form("request")
        for subject in board.relatives:
            form("edit", subject.relative.id, subject.relative)
        for subject in board.relatives + board.checks:
            for waiting in subject.requests:
                if waiting.item.answered_on is None:
                    form("answer", waiting.item.id)
        for waiting in board.opinions:
            if waiting.item.received_on is None:
                form("received", waiting.item.id)
    return {"board": board, "forms": forms}
