"""Action forms: the common part (CSRF, case version, comment, step date) and one form
per step with the fields its guards read. Validation here gives quick field messages;
the guards stay the authority on the facts."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Label, SelectMultipleField
from wtforms.validators import DataRequired

from ..papers.content import PAPERS
from ..services.scans import may_attach
from ..forms import (ChoiceField, DayField, Form, NoteField, NumberField, TextField, longest,
                     optional, required)
from ..models import Case
from ..workflow.guards import EXIT_GROUNDS, FORMER_EXITS, MISSING_CHOICES, nominated_by_union

MAX_COUNT = 10_000


class ActionForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    comment = NoteField(_l("Comment"), validators=[optional, longest(2000)])
    on = DayField(_l("Date of the step"), validators=[optional])
    comment_visible = BooleanField(_l("The candidate may read this comment"))

    # Fields of the form itself, not of the step (a correction adds its reason and mode).
    RESERVED = frozenset({"csrf_token", "version", "comment", "on", "comment_visible", "reason",
                          "mode"})

    def step_data(self) -> dict:
        return {k: v for k, v in self.data.items()
                if k not in self.RESERVED and v not in (None, "")}

    def __iter__(self):
        """The step's own fields first, then its date, comment and who may read it."""
        last = [name for name in ("on", "comment", "comment_visible") if name in self._fields]
        return iter([f for name, f in self._fields.items() if name not in last]
                     + [self._fields[name] for name in last])


class ReasonForm(ActionForm):
    comment = NoteField(_l("Reason"), validators=[required, longest(2000)])


def _count(label, description="", *, blank_ok=False):
    return NumberField(label, description=description,
                       validators=[optional if blank_ok else required], low=0, high=MAX_COUNT)


def _text(label, limit, *, blank_ok=False):
    return TextField(label, validators=[optional if blank_ok else required, longest(limit)])


_CELL_VOTERS = _l("Probationary members do not vote. Official members exempted from Party "
                  "work and activities, or on temporary transfer, are not counted when absent.")
# Who votes, body by body: (everyone counted, present, in favour, against, who is counted).
VOTERS = {
    "union": (_l("Members of the union executive committee"),
              _l("Executive committee members present"),
              _l("Executive committee members in favour"),
              _l("Executive committee members against"),
              _l("The sitting members of the grassroots union's executive committee.")),
    "cell": (_l("Official members of the cell"), _l("Official members present"),
             _l("Official members in favour"), _l("Official members against"), _CELL_VOTERS),
    "removal": (_l("Official members of the cell"), _l("Official members present"),
                _l("Official members in favour of removal"),
                _l("Official members against removal"), _CELL_VOTERS),
    "undecided": (_l("Official members of the cell"), _l("Official members present"),
                  _l("Official members for recognition"), _l("Official members for removal"),
                  _CELL_VOTERS),
    "committee": (_l("Members of the Party committee"), _l("Committee members present"),
                  _l("Committee members in favour"), _l("Committee members against"),
                  _l("All sitting members of the grassroots Party committee.")),
    "standing": (_l("Members of the standing committee"), _l("Standing committee members present"),
                 _l("Standing committee members in favour"),
                 _l("Standing committee members against"),
                 _l("All sitting members of the competent committee's standing committee.")),
    "competent": (_l("Members of the Party committee"), _l("Committee members present"),
                  _l("Committee members in favour"), _l("Committee members against"),
                  _l("All sitting members of the competent Party committee.")),
    "competent_removal": (_l("Members of the Party committee"), _l("Committee members present"),
                          _l("Committee members in favour of removal"),
                          _l("Committee members against removal"),
                          _l("All sitting members of the competent Party committee.")),
}


def vote_fields(body: str, prefix: str = "", blank_ok: bool = False) -> dict:
    """The fields of one body's vote, named as the guards read them (``prefix`` + name)."""
    counted, present, in_favour, against, who = VOTERS[body]
    return {
        prefix + "held_on": DayField(_l("Meeting date"),
                                     validators=[optional if blank_ok else required]),
        prefix + "eligible": _count(counted, who, blank_ok=blank_ok),
        prefix + "present": _count(present, blank_ok=blank_ok),
        prefix + "votes_for": _count(in_favour, blank_ok=blank_ok),
        prefix + "votes_against": _count(against, blank_ok=blank_ok),
        prefix + "resolution_no": _text(_l("Resolution number"), 40, blank_ok=blank_ok),
    }


class VoteForm(ActionForm):
    """A body's vote; ``BODY`` names the threshold it meets (the cell's, the union's, a
    committee's or a standing committee's); ``COMPETENT``, that the committee voting is the
    competent body's rather than the receiving organisation's."""
    BODY = "cell"
    VOTE_PREFIX = ""
    COMPETENT = False


class MeetingForm(VoteForm):
    """A meeting whose result the vote decides; the comment becomes the reason on refusal."""
    comment = NoteField(_l("Conclusions of the meeting"), validators=[optional, longest(2000)])


UnionVoteForm = type("UnionVoteForm", (VoteForm,), {"BODY": "union", **vote_fields("union")})
CellVoteForm = type("CellVoteForm", (VoteForm,), {"BODY": "cell", **vote_fields("cell")})
CellMeetingForm = type("CellMeetingForm", (MeetingForm,), {
    "BODY": "cell", **vote_fields("cell"),
    "over_age_approval": _text(_l("Approval of the Party committee directly under the Central "
                                  "Committee (a candidate over 60)"), 200, blank_ok=True)})
CommitteeMeetingForm = type("CommitteeMeetingForm", (MeetingForm,),
                            {"BODY": "committee", **vote_fields("committee")})
CommitteeVoteForm = type("CommitteeVoteForm", (VoteForm,),
                         {"BODY": "committee", **vote_fields("committee")})


def _id_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AcceptForm(ActionForm):
    host_cell_id = ChoiceField(_l("Host cell"), coerce=int, validators=[required])
    # Official members of the cells under the receiving organisation, grouped by cell
    # (choices set by the view); the guard checks that they belong to the host cell.
    helpers = SelectMultipleField(
        _l("Helpers (official members of the host cell; hold Ctrl to choose several)"),
        coerce=_id_or_none, validate_choice=False, render_kw={"size": 8},
        validators=[DataRequired(message=_l("Choose at least one helper."))])

    def step_data(self) -> dict:
        return {"host_cell_id": self.host_cell_id.data,
                "helpers": [h for h in self.helpers.data or [] if h is not None]}


class CertificateForm(ActionForm):
    certificate_no = _text(_l("Certificate number"), 40)
    certificate_issuer = _text(_l("Issued by"), 200)
    certificate_on = DayField(_l("Certificate date"), validators=[required])


class DecisionForm(ActionForm):
    decision_no = _text(_l("Decision number"), 40)
    decision_on = DayField(_l("Decision date"), validators=[required])
    received_on = DayField(_l("Date received by the cell"), validators=[optional])


class AdmitForm(VoteForm, DecisionForm):
    """The competent body's decision (9-KNĐ) with its standing committee's vote."""
    BODY = "standing"
    VOTE_PREFIX = "standing_"


class DeclineForm(VoteForm, ReasonForm):
    """The competent body's decision not to admit: its standing committee's vote, short of
    the threshold, and the reason."""
    BODY = "standing"
    VOTE_PREFIX = "standing_"


for _form in (AdmitForm, DeclineForm):
    for _name, _field in vote_fields("standing", "standing_").items():
        setattr(_form, _name, _field)


class CommitteeDecisionForm(CommitteeMeetingForm, DecisionForm):
    """An authorised committee's meeting (2/3 of all its members) and the decision it signs."""


class ReturnForm(ReasonForm):
    """A dossier sent back to the cell: what is missing, by form and in words."""
    missing = SelectMultipleField(_l("Missing from the dossier"), choices=[],
                                  render_kw={"size": 6})
    missing_note = NoteField(_l("Other missing items"), validators=[optional, longest(1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missing.choices = list(MISSING_CHOICES.items())


class CeremonyForm(ActionForm):
    ceremony_on = DayField(_l("Ceremony date"), validators=[required])
    late_approval = _text(_l("Superior committee's approval (if late)"), 200, blank_ok=True)


class RecogniseForm(VoteForm, DecisionForm):
    """The competent body's decision (16-KNĐ), with its committee's vote on it."""
    BODY = "committee"
    VOTE_PREFIX = "committee_"
    COMPETENT = True


class RemoveForm(VoteForm, ReasonForm):
    """The competent body's removal from the probationary list: its committee's vote for it
    and the reason."""
    BODY = "committee"
    VOTE_PREFIX = "committee_"
    COMPETENT = True


for _form, _voters in ((RecogniseForm, "competent"), (RemoveForm, "competent_removal")):
    for _name, _field in vote_fields(_voters, "committee_").items():
        setattr(_form, _name, _field)


class IntroducersForm(ActionForm):
    """The nomination of a worker who is not a union member: the letters (3-KNĐ) of two
    official Party members instead of the union's resolution. A correction fills it from
    the recorded letters."""
    LETTERS = ("first", "second")

    def __init__(self, *args, data: dict | None = None, **kwargs):
        if data and isinstance(data.get("documents"), list):
            data = dict(data)
            for name, doc in zip(self.LETTERS, data.pop("documents"), strict=False):
                issued = doc.get("issued_on")
                data |= {f"{name}_issuer": doc.get("issuer"),
                         f"{name}_issued_on": date.fromisoformat(issued[:10])
                         if isinstance(issued, str) else issued,
                         f"{name}_official": doc.get("official"),
                         f"{name}_months_together": doc.get("months_together")}
        super().__init__(*args, data=data, **kwargs)

    def step_data(self) -> dict:
        return {"documents": [
            {"form_code": "3-KNĐ", "issuer": self[f"{name}_issuer"].data,
             "issued_on": self[f"{name}_issued_on"].data,
             "official": bool(self[f"{name}_official"].data),
             "months_together": self[f"{name}_months_together"].data}
            for name in self.LETTERS]}


for _name, _ordinal in zip(IntroducersForm.LETTERS, (_l("First introducer"),
                                                     _l("Second introducer")), strict=True):
    setattr(IntroducersForm, f"{_name}_issuer", TextField(
        _ordinal, description=_l("Full name of the official Party member (3-KNĐ)"),
        validators=[required, longest(200)]))
    setattr(IntroducersForm, f"{_name}_issued_on", DayField(_l("Date of the letter"),
                                                            validators=[required]))
    setattr(IntroducersForm, f"{_name}_official", BooleanField(
        _l("The introducer is an official Party member")))
    setattr(IntroducersForm, f"{_name}_months_together", NumberField(
        _l("Months worked or lived together"), validators=[required], low=0, high=1200))


class ReadmissionForm(ActionForm):
    """The former membership of a candidate for re-admission (294-QĐ/TW §3.5)."""
    former_admitted_on = DayField(_l("Admitted to the Party on"), validators=[required])
    former_left_on = DayField(_l("Left the Party on"), validators=[required])
    former_exit = ChoiceField(_l("How the membership ended"), validators=[required],
                              choices=[("", "—"), *FORMER_EXITS.items()])
    former_exit_ground = ChoiceField(
        _l("Ground on which the person left"), validators=[required],
        choices=[("", "—"), *EXIT_GROUNDS.items()],
        description=_l("Some grounds bar re-admission (294-QĐ/TW §3.5.2)."))
    former_exit_reason = NoteField(_l("Reason for leaving"), validators=[required, longest(2000)])
    conviction_cleared_on = DayField(
        _l("Conviction cleared on"), validators=[optional],
        description=_l("Only after a conviction for a less serious offence."))
    readmission_consent = _text(_l("Written consent of the provincial Party standing "
                                   "committee (number, date)"), 200)
    former_readmitted = BooleanField(_l("The person was already re-admitted once"))


# The cell's resolution proposing removal (its votes for are for removal; the reason says
# why the member does not qualify), and a vote reaching neither 2/3 (both counts).
RemovalVoteForm = type("RemovalVoteForm", (VoteForm,), {
    "BODY": "cell", **vote_fields("removal"),
    "comment": NoteField(_l("Why the member does not qualify"),
                         validators=[required, longest(2000)])})
UndecidedVoteForm = type("UndecidedVoteForm", (ActionForm,), vote_fields("undecided"))


class DeathForm(ActionForm):
    died_on = DayField(_l("Date of death"), validators=[required])


class DisciplineForm(ReasonForm):
    decision_no = _text(_l("Decision number"), 40)
    decision_on = DayField(_l("Decision date"), validators=[required])


FORMS: dict[str, type[ActionForm]] = {
    "submit": UnionVoteForm,
    "accept": AcceptForm,
    "pass_class": CertificateForm,
    "skip_class": CertificateForm,
    "cell_approve": CellMeetingForm,
    "committee_approve": CommitteeMeetingForm,
    "committee_admit": CommitteeDecisionForm,
    "committee_return": ReturnForm,
    "admit": AdmitForm,
    "decline": DeclineForm,
    "return_dossier": ReturnForm,
    "hold_ceremony": CeremonyForm,
    "open_recognition": CellVoteForm,
    "recognition_committee_approve": CommitteeVoteForm,
    "recognise": RecogniseForm,
    "remove": RemoveForm,
    "record_readmission": ReadmissionForm,
    "propose_removal": RemovalVoteForm,
    "record_undecided": UndecidedVoteForm,
    "record_death": DeathForm,
    "remove_for_discipline": DisciplineForm,
}


def form_for(trigger: str, spec_reason: bool, case: Case | None = None) -> type[ActionForm]:
    """The form of ``trigger``; the nomination's depends on its route (on ``case``)."""
    if trigger == "submit" and case is not None and not nominated_by_union(case):
        return IntroducersForm
    return FORMS.get(trigger, ReasonForm if spec_reason else ActionForm)


class DocumentForm(Form):
    """One document of the dossier; ``document_form`` keeps the fields of its form code."""
    number = _text(_l("Number"), 40, blank_ok=True)
    issuer = _text(_l("Issued by / signed by"), 200, blank_ok=True)
    issued_on = DayField(_l("Date of the document"), validators=[required])
    certified_on = DayField(_l("Certified by the grassroots committee on"),
                            validators=[optional],
                            description=_l("The date of the committee's signature and stamp: "
                                           "the personal history's validity runs from it."))
    verified = BooleanField(_l("The applicant's own personal history has been verified "
                               "(2-KNĐ)"))
    official = BooleanField(_l("The introducer is an official Party member"))
    months_together = NumberField(_l("Months worked or lived together"),
                                  validators=[optional], low=0, high=1200)


class DocumentCorrectionForm(DocumentForm):
    reason = NoteField(_l("Reason for the correction"), validators=[required, longest(2000)])


class WithdrawForm(Form):
    reason = NoteField(_l("Reason for withdrawing it"), validators=[required, longest(2000)])


# The fields each form asks for, and what its "issued by" means.
DOCUMENT_FIELDS = {
    "1-KNĐ": ("number", "issued_on"),
    "2-KNĐ": ("number", "issued_on", "certified_on", "verified"),
    "3-KNĐ": ("issuer", "issued_on", "official", "months_together"),
    "5-KNĐ": ("number", "issuer", "issued_on"),
    "10-KNĐ": ("issued_on",),
    "11-KNĐ": ("issuer", "issued_on"),
    "12-KNĐ": ("number", "issuer", "issued_on"),
    "new_member_certificate": ("number", "issuer", "issued_on"),
}
ISSUER_LABELS = {
    "3-KNĐ": _l("Introducer (full name)"),
    "5-KNĐ": _l("Organisation or cell that commented"),
    "11-KNĐ": _l("Helping Party member (full name)"),
    "12-KNĐ": _l("Organisation or cell that commented"),
    "new_member_certificate": _l("Issued by (political school or centre)"),
}


def document_form(code: str, prefix: str, formdata=None, document=None,
                  form_class: type[Form] = DocumentForm) -> Form:
    """The form for a document of ``code`` (filled with ``document`` to correct it)."""
    data = None
    if document is not None and formdata is None:
        data = {"number": document.number, "issuer": document.issuer,
                "issued_on": document.issued_on, "certified_on": document.certified_on,
                "verified": document.verified,
                **(document.detail or {})}
    form = form_class(formdata=formdata, prefix=prefix, data=data)
    for name in ("number", "issuer", "issued_on", "certified_on", "verified", "official",
                 "months_together"):
        if name not in DOCUMENT_FIELDS[code]:
            delattr(form, name)
    if code in ISSUER_LABELS:
        form.issuer.label = Label(form.issuer.id, ISSUER_LABELS[code])
    return form


def document_values(form: Form, code: str) -> dict:
    """What the guards read from a document form."""
    return {name: form[name].data for name in DOCUMENT_FIELDS[code]} | {"form_code": code}


class CaseImportForm(Form):
    """The file of cases already under way (imports.cases)."""
    file = FileField(_l("File of cases (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))])


class ScanForm(Form):
    """The signed and stamped scan of one document (cases/scans.py); its type is told by
    its content, whatever the name or the browser say."""
    file = FileField(_l("Signed scan (PDF, JPEG or PNG)"),
                     validators=[FileRequired(_l("Choose the scan to upload."))],
                     render_kw={"accept": ".pdf,.jpg,.jpeg,.png"})


def scan_forms(user, case, rows, bound: dict | None = None) -> dict:
    """A scan upload form, by prefix (``scan<document id>``), for each document in force
    on the checklist ``rows`` that ``user`` may attach a scan to."""
    bound = bound or {}
    return {f"scan{item.document.id}": bound.get(f"scan{item.document.id}")
            or ScanForm(prefix=f"scan{item.document.id}")
            for row in rows for item in row.documents
            if may_attach(user, case, item.document)}


# The paper of every case of a list (referral_flow/papers), built in the background.
FORMAT_CHOICES = (("pdf", _l("PDF, one file")), ("docx", _l("Word (DOCX), a ZIP of files")))


class PapersForm(Form):
    paper = ChoiceField(_l("Paper"), [required],
                        choices=[(key, spec.label) for key, spec in PAPERS.items()])
    fmt = ChoiceField(_l("Format"), [required], choices=FORMAT_CHOICES, default="pdf")
