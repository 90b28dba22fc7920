"""Action forms: the common part (CSRF, case version, comment, step date) and one form
per step with the fields its guards read. Validation here gives quick field messages;
the guards stay the authority on the facts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from ..forms import (ChoiceField, DayField, Form, NoteField, NumberField, TextField, longest,
                     optional, required)

MAX_COUNT = 10_000


class ActionForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    comment = NoteField(_l("Comment"), validators=[optional, longest(2000)])
    on = DayField(_l("Date of the step"), validators=[optional])
    comment_visible = BooleanField(_l("The candidate may read this comment"))

    def step_data(self) -> dict:
        reserved = {"csrf_token", "version", "comment", "on", "comment_visible"}
        return {k: v for k, v in self.data.items() if k not in reserved and v not in (None, "")}


class ReasonForm(ActionForm):
    comment = NoteField(_l("Reason"), validators=[required, longest(2000)])


def _count(label, *, blank_ok=False):
    return NumberField(label, validators=[optional if blank_ok else required], low=0,
                       high=MAX_COUNT)


def _text(label, limit, *, blank_ok=False):
    return TextField(label, validators=[optional if blank_ok else required, longest(limit)])


class VoteForm(ActionForm):
    held_on = DayField(_l("Meeting date"), validators=[required])
    eligible = _count(_l("Members entitled to vote"))
    present = _count(_l("Members present"))
    votes_for = _count(_l("Votes for"))
    votes_against = _count(_l("Votes against"))
    resolution_no = _text(_l("Resolution number"), 40)


class MeetingForm(VoteForm):
    """A meeting whose result the guard decides; the comment becomes the reason on refusal."""
    comment = NoteField(_l("Conclusions of the meeting"), validators=[optional, longest(2000)])


class AcceptForm(ActionForm):
    host_cell_id = ChoiceField(_l("Host cell"), coerce=int, validators=[required])
    helpers = NoteField(_l("Helpers (official members, one per line)"),
                        validators=[required, longest(1000)], filters=())

    def step_data(self) -> dict:
        helpers = [line.strip() for line in (self.helpers.data or "").splitlines()]
        return {"host_cell_id": self.host_cell_id.data, "helpers": [h for h in helpers if h]}


class CertificateForm(ActionForm):
    certificate_no = _text(_l("Certificate number"), 40)
    certificate_issuer = _text(_l("Issued by"), 200)
    certificate_on = DayField(_l("Certificate date"), validators=[required])


class DecisionForm(ActionForm):
    decision_no = _text(_l("Decision number"), 40)
    decision_on = DayField(_l("Decision date"), validators=[required])
    received_on = DayField(_l("Date received by the cell"), validators=[optional])


class CeremonyForm(ActionForm):
    ceremony_on = DayField(_l("Ceremony date"), validators=[required])
    late_approval = _text(_l("Superior committee's approval (if late)"), 200, blank_ok=True)


class RecogniseForm(DecisionForm):
    committee_held_on = DayField(_l("Committee meeting date"), validators=[optional])
    committee_eligible = _count(_l("Committee members"), blank_ok=True)
    committee_present = _count(_l("Members present"), blank_ok=True)
    committee_votes_for = _count(_l("Votes for"), blank_ok=True)
    committee_votes_against = _count(_l("Votes against"), blank_ok=True)
    committee_resolution_no = _text(_l("Committee resolution (15-KNĐ)"), 40, blank_ok=True)


FORMS: dict[str, type[ActionForm]] = {
    "submit": VoteForm,
    "accept": AcceptForm,
    "pass_class": CertificateForm,
    "skip_class": CertificateForm,
    "cell_approve": MeetingForm,
    "committee_approve": MeetingForm,
    "admit": DecisionForm,
    "hold_ceremony": CeremonyForm,
    "open_recognition": VoteForm,
    "recognise": RecogniseForm,
}


def form_for(trigger: str, spec_reason: bool) -> type[ActionForm]:
    return FORMS.get(trigger, ReasonForm if spec_reason else ActionForm)


class DocumentForm(Form):
    """One document of the dossier checklist."""
    form_code = ChoiceField(_l("Form"), validators=[required])
    number = _text(_l("Number"), 40, blank_ok=True)
    issued_on = DayField(_l("Date of the document"), validators=[required])
    issuer = _text(_l("Issued by / signed by"), 200, blank_ok=True)
    verified = BooleanField(_l("Verified (personal history, 2-KNĐ)"))
    official = BooleanField(_l("The introducer is an official Party member (3-KNĐ)"))
    months_together = NumberField(_l("Months worked or lived together (3-KNĐ)"),
                                  validators=[optional], low=0, high=1200)
