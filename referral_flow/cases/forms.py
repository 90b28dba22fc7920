"""Action forms: the common part (CSRF, case version, comment, step date) and one form
per step with the fields its guards read. Validation here gives quick field messages;
the guards stay the authority on the facts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import clean_text


class ActionForm(FlaskForm):
    version = IntegerField(_l("Version"), validators=[InputRequired(), NumberRange(min=1)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            filters=[clean_text])
    on = DateField(_l("Date of the step"), validators=[Optional()])
    comment_visible = BooleanField(_l("The candidate may read this comment"))

    def step_data(self) -> dict:
        reserved = {"csrf_token", "version", "comment", "on", "comment_visible"}
        return {k: v for k, v in self.data.items() if k not in reserved and v not in (None, "")}


class ReasonForm(ActionForm):
    comment = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                            filters=[clean_text])


def _count(label):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=0, max=10_000)])


class VoteForm(ActionForm):
    held_on = DateField(_l("Meeting date"), validators=[DataRequired()])
    eligible = _count(_l("Members entitled to vote"))
    present = _count(_l("Members present"))
    votes_for = _count(_l("Votes for"))
    votes_against = _count(_l("Votes against"))
    resolution_no = StringField(_l("Resolution number"),
                                validators=[DataRequired(), Length(max=40)], filters=[clean_text])


class MeetingForm(VoteForm):
    """A meeting whose result the guard decides; the comment becomes the reason on refusal."""
    comment = TextAreaField(_l("Conclusions of the meeting"),
                            validators=[Optional(), Length(max=2000)], filters=[clean_text])


def _id_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AcceptForm(ActionForm):
    host_cell_id = SelectField(_l("Host cell"), coerce=int, validators=[InputRequired()])
    # Official members of the cells under the receiving organisation, grouped by cell
    # (choices set by the view); the guard checks that they belong to the host cell.
    helpers = SelectMultipleField(
        _l("Helpers (official members of the host cell; hold Ctrl to choose several)"),
        coerce=_id_or_none,
        validate_choice=False, render_kw={"size": 8},
        validators=[DataRequired(message=_l("Choose at least one helper."))])

    def step_data(self) -> dict:
        return {"host_cell_id": self.host_cell_id.data,
                "helpers": [h for h in self.helpers.data or [] if h is not None]}


class CertificateForm(ActionForm):
    certificate_no = StringField(_l("Certificate number"),
                                 validators=[DataRequired(), Length(max=40)], filters=[clean_text])
    certificate_issuer = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=200)],
                                     filters=[clean_text])
    certificate_on = DateField(_l("Certificate date"), validators=[DataRequired()])


class DecisionForm(ActionForm):
    decision_no = StringField(_l("Decision number"), validators=[DataRequired(), Length(max=40)],
                              filters=[clean_text])
    decision_on = DateField(_l("Decision date"), validators=[DataRequired()])
    received_on = DateField(_l("Date received by the cell"), validators=[Optional()])


class CeremonyForm(ActionForm):
    ceremony_on = DateField(_l("Ceremony date"), validators=[DataRequired()])
    late_approval = StringField(_l("Superior committee's approval (if late)"),
                                validators=[Optional(), Length(max=200)], filters=[clean_text])


class RecogniseForm(DecisionForm):
    committee_held_on = DateField(_l("Committee meeting date"), validators=[Optional()])
    committee_eligible = IntegerField(_l("Committee members"), validators=[Optional()])
    committee_present = IntegerField(_l("Members present"), validators=[Optional()])
    committee_votes_for = IntegerField(_l("Votes for"), validators=[Optional()])
    committee_votes_against = IntegerField(_l("Votes against"), validators=[Optional()])
    committee_resolution_no = StringField(_l("Committee resolution (15-KNĐ)"),
                                          validators=[Optional(), Length(max=40)],
                                          filters=[clean_text])


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


class DocumentForm(FlaskForm):
    """One document of the dossier checklist."""
    form_code = SelectField(_l("Form"), validators=[InputRequired()])
    number = StringField(_l("Number"), validators=[Optional(), Length(max=40)],
                         filters=[clean_text])
    issued_on = DateField(_l("Date of the document"), validators=[DataRequired()])
    issuer = StringField(_l("Issued by / signed by"), validators=[Optional(), Length(max=200)],
                         filters=[clean_text])
    verified = BooleanField(_l("Verified (personal history, 2-KNĐ)"))
    official = BooleanField(_l("The introducer is an official Party member (3-KNĐ)"))
    months_together = IntegerField(_l("Months worked or lived together (3-KNĐ)"),
                                   validators=[Optional(), NumberRange(min=0, max=1200)])
