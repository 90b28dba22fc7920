"""Administrator forms, on the shared kit (referral_flow/forms)."""
from __future__ import annotations

import re
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField
from wtforms.validators import EqualTo, Length, ValidationError

from ..forms import (ChoiceField, DayField, Form, NoteField, NumberField, TextField, email,
                     longest, new_password, no_markup, optional, options, phone, required,
                     without_separators)
from ..labels import ENTERPRISE_KINDS, PARTY_KINDS, ROLE_LABELS, UNION_KINDS
from ..workflow.rulesets import TO_CONFIRM, form_order, unconfirmed

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
# A rule set's code is a document number: letters of any script, digits, . _ / - (294-QĐ/TW).
RULE_SET_CODE = re.compile(r"\w[\w./-]*")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def node_code(form, field):
    if field.data and not CODE.match(field.data):
        raise ValidationError(_l("Use letters, digits and . _ / - only (no spaces)."))


def rule_set_code(form, field):
    if field.data and not RULE_SET_CODE.fullmatch(field.data):
        raise ValidationError(_l("Use letters, digits and . _ / - only (no spaces)."))


def name_field(label, max_len=200, blank_ok=False):
    return TextField(label, validators=[optional if blank_ok else required, longest(max_len),
                                        no_markup])


# --- organisations ------------------------------------------------------------------------



def code_field(label, *, blank_ok=False):
    """An organisation's code (letters, digits and . _ / -)."""
    return TextField(label, validators=[optional if blank_ok else required, longest(40),
                                        node_code])


class NodeForm(Form):
    kind = ChoiceField(_l("Kind"), validators=[required])
    name = name_field(_l("Organisation name"))
    code = code_field(_l("Code"))
    parent_code = code_field(_l("Parent (code)"), blank_ok=True)
    opened_on = DayField(_l("Opened on"), validators=[required])


class UnionNodeForm(NodeForm):
    enterprise_kind = ChoiceField(_l("Enterprise kind (CĐCS)"),
                                  choices=[("", "—")] + ENTERPRISE_KINDS, validators=[optional])
    has_party_org = BooleanField(_l("The enterprise has a Party organisation"))
    has_youth_union = BooleanField(_l("The enterprise has a Youth Union"))
    receiving_code = code_field(_l("Receiving Party organisation (code)"), blank_ok=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options(UNION_KINDS)


class PartyNodeForm(NodeForm):
    runs_classes = BooleanField(_l("Runs awareness classes and issues certificates"))
    competent_body = BooleanField(_l("Competent to decide admission"))
    grassroots_committee = BooleanField(_l("Votes as a grassroots committee"))
    authorised_to_admit = BooleanField(_l("Authorised to admit (decides with 2/3 of all its "
                                          "committee members, 06-HD/TW §3.7a)"))
    official_members = NumberField(_l("Official members"), validators=[optional],
                                   low=0, high=100_000)
    committee_members = NumberField(_l("Committee members"), validators=[optional],
                                    low=0, high=1_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options(PARTY_KINDS)


class RenameForm(Form):
    name = name_field(_l("New name"))


class CloseForm(Form):
    closed_on = DayField(_l("Closed on"), validators=[required])


class ReceivingForm(Form):
    receiving_code = code_field(_l("Receiving Party organisation (code)"))


# --- reorganisation (services/reorganisation.py) --------------------------------------------

def node_codes(form, field):
    """Codes separated by commas or spaces, each one an organisation code."""
    if field.data and not all(CODE.match(code) for code in split_codes(field.data)):
        raise ValidationError(_l("Use letters, digits and . _ / - only (no spaces)."))


def split_codes(text: str | None) -> list[str]:
    return [code for code in re.split(r"[,;\s]+", text or "") if code]


class ReorganisationForm(Form):
    effective_on = DayField(_l("Effective date"), validators=[required])
    reason = NoteField(_l("Reason (decision number, date)"),
                       validators=[required, longest(1000), no_markup])


class MoveNodeForm(ReorganisationForm):
    parent_code = code_field(_l("New parent (code)"))


class MergeForm(ReorganisationForm):
    codes = TextField(_l("Codes of the organisations merged into this one"),
                      validators=[required, longest(400), node_codes])


class SuccessorForm(ReorganisationForm):
    successor_code = code_field(_l("Successor (code)"))


# --- users and grants ---------------------------------------------------------------------



class ContactForm(Form):
    """A staff user's work phone and e-mail, shown to candidates (e.g. the cell secretary)."""
    work_phone = TextField(_l("Work phone"), filters=[without_separators],
                           validators=[optional, longest(20), phone])
    work_email = TextField(_l("Work e-mail"), validators=[optional, longest(120), email])


class UserForm(ContactForm):
    username = TextField(_l("Username"), validators=[required, Length(
        min=3, max=60, message=_l("From 3 to 60 characters."))])
    full_name = name_field(_l("Full name"), max_len=120)
    password = PasswordField(_l("Initial password"), validators=[
        required, new_password(lambda form: (form.username.data, form.full_name.data))])
    confirm = PasswordField(_l("Password again"), validators=[
        required, EqualTo("password", message=_l("The two passwords differ."))])

    def validate_username(self, field):
        if field.data and not USERNAME.match(field.data):
            raise ValidationError(
                _l("Use lower-case letters without accents, digits and . _ - only."))


class GrantForm(Form):
    role = ChoiceField(_l("Role"), choices=[("", "—")] + list(ROLE_LABELS.items()),
                       validators=[required])
    org_code = code_field(_l("Organisation (code)"), blank_ok=True)
    citizen_id = TextField(_l("Member's citizen ID (member role)"),
                           validators=[optional, longest(12)])
    valid_from = DayField(_l("Valid from"), validators=[required])
    valid_to = DayField(_l("Valid to (empty: open-ended)"), validators=[optional])

    def validate_valid_to(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class EndGrantForm(Form):
    valid_to = DayField(_l("Last day"), validators=[required])


# --- holidays -----------------------------------------------------------------------------

class HolidayForm(Form):
    day = DayField(_l("Day"), validators=[required])
    day_off = ChoiceField(_l("Kind"), choices=[
        ("1", _l("Extra day off")), ("0", _l("Extra working day"))], validators=[required])
    note = name_field(_l("Note"), blank_ok=True)


# --- rule sets ----------------------------------------------------------------------------

# Every parameter of a rule set: key, label, kind, bounds. The kinds are "threshold"
# ({num, den, strict}), "int", "bool" and "months_by_doc" ({document code: months}).
PARAMS: list[tuple[str, object, str, int, int]] = [
    ("union_vote", _l("Union executive committee vote"), "threshold", 1, 100),
    ("cell_vote", _l("Cell vote (of eligible official members)"), "threshold", 1, 100),
    ("committee_vote", _l("Grassroots committee vote (of committee members)"), "threshold",
     1, 100),
    ("standing_committee_vote", _l("Standing committee vote on the admission decision (of "
                                   "its members)"), "threshold", 1, 100),
    ("min_cell_official_members", _l("Minimum official members of the cell"), "int", 1, 100),
    ("decision_working_days", _l("Admission decision due (working days after the cell "
                                 "resolution)"), "int", 1, 365),
    ("decision_extension_working_days", _l("Admission decision extension (working days)"),
     "int", 0, 365),
    ("ceremony_working_days", _l("Ceremony due (working days after the decision is received)"),
     "int", 1, 365),
    ("probation_months", _l("Probation (months)"), "int", 1, 60),
    ("probation_transfer_working_days", _l("Probationary member's transfer due (working days "
                                           "after the request)"), "int", 1, 365),
    ("recognition_cell_working_days", _l("Recognition: cell review due (working days after "
                                         "probation)"), "int", 1, 365),
    ("recognition_decision_working_days", _l("Recognition: decision due (working days)"),
     "int", 1, 365),
    ("recognition_decision_extension_working_days",
     _l("Recognition: decision extension (working days)"), "int", 0, 365),
    ("recognition_undecided_votes", _l("Recognition: cell votes reaching neither 2/3 before "
                                       "the case goes to the superior committee"), "int", 1, 10),
    ("certificate_validity_months", _l("Awareness-class certificate valid for (months)"),
     "int", 1, 240),
    ("document_validity_months", _l("Dossier documents valid for (months)"), "months_by_doc",
     1, 240),
    ("min_age_months", _l("Minimum age at the cell vote (months)"), "int", 120, 600),
    ("max_age_months", _l("Maximum age at the cell vote without approval (months)"), "int",
     240, 1200),
    ("introducer_min_months", _l("Introducer worked or lived with the candidate (months, at "
                                 "least)"), "int", 1, 240),
    ("min_introducer_letters", _l("Introducer letters required"), "int", 0, 5),
    ("introducers_without_union", _l("Introducer letters required without a union "
                                     "resolution (a candidate who is not a union member)"),
     "int", 1, 2),       # the nomination's form offers two letters (Charter Art. 4.1)
    ("readmission_min_months", _l("Re-admission: months since leaving the Party (at least)"),
     "int", 1, 240),
    ("readmission_after_conviction_months",
     _l("Re-admission after a conviction for a less serious offence: months since it was "
        "cleared (at least)"), "int", 1, 240),
    ("youth_route_enabled", _l("Youth route: the Youth Union introduces young candidates"),
     "bool", 0, 1),
    ("youth_route_max_age_years", _l("Youth route: up to age (years)"), "int", 16, 40),
    ("thcs_required", _l("A lower-secondary diploma (THCS) or higher is required at the cell "
                         "vote"), "bool", 0, 1),
    # the code printed on each form, by its stable key (the sources differ for 12- to 16-KNĐ)
    ("form_labels", _l("Printed form codes"), "labels_by_form", 1, 20),
]
PARAM_LABELS = {key: label for key, label, *_ in PARAMS}
BY_ENTRY = ("months_by_doc", "labels_by_form")      # one value per form


def field_name(key: str, part: str | int | None = None) -> str:
    return f"p__{key}" if part is None else f"p__{key}__{part}"


def confirm_name(key: str, entry: int | None = None) -> str:
    """The "to confirm" tick of a parameter, or of one entry of a parameter by form."""
    return field_name(key, "confirm" if entry is None else f"confirm{entry}")


class RuleSetBaseForm(Form):
    code = TextField(_l("Code"), validators=[required, longest(40), rule_set_code])
    title = name_field(_l("Title"))
    effective_from = DayField(_l("In force from"), validators=[required])
    note = NoteField(_l("Note"), validators=[optional, longest(2000), no_markup])

    # set by rule_set_form()
    entries: ClassVar[dict[str, list[str]]] = {}   # parameter by form -> its forms, in order
    carried: ClassVar[dict] = {}

    def params(self) -> dict:
        out = dict(self.carried)
        marks: dict = {}
        for key, _label, kind, *_ in PARAMS:
            if kind in BY_ENTRY:
                marked = [form for i, form in enumerate(self.entries[key])
                          if self[confirm_name(key, i)].data]
                if marked:
                    marks[key] = marked
            elif self[confirm_name(key)].data:
                marks[key] = True
            if kind == "threshold":
                out[key] = {"num": self[field_name(key, "num")].data,
                            "den": self[field_name(key, "den")].data,
                            "strict": bool(self[field_name(key, "strict")].data)}
            elif kind == "bool":
                out[key] = bool(self[field_name(key)].data)
            elif kind in BY_ENTRY:
                out[key] = {doc: self[field_name(key, i)].data
                            for i, doc in enumerate(self.entries[key])}
            else:
                out[key] = self[field_name(key)].data
        if marks:
            out[TO_CONFIRM] = marks
        return out

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for key, _label, kind, *_ in PARAMS:
            if kind != "threshold":
                continue
            num, den = self[field_name(key, "num")], self[field_name(key, "den")]
            if num.data is not None and den.data is not None and num.data >= den.data:
                num.errors.append(_l("The numerator must be smaller than the denominator."))
                ok = False
        low, high = self[field_name("min_age_months")], self[field_name("max_age_months")]
        if low.data is not None and high.data is not None and low.data >= high.data:
            high.errors.append(_l("The maximum age must be above the minimum age."))
            ok = False
        return ok


def rule_set_form(current: dict, prefill: bool) -> RuleSetBaseForm:
    """A form with one field per parameter (per part); ``prefill`` (GET only) fills it
    from ``current``; a POST takes every value from what was sent."""
    known = {key for key, *_ in PARAMS} | {TO_CONFIRM}
    entries = {key: sorted(current.get(key) or {}, key=form_order)
               for key, _label, kind, *_ in PARAMS if kind in BY_ENTRY}
    attrs: dict = {"entries": entries,
                   "carried": {k: v for k, v in current.items() if k not in known}}
    data: dict = {}
    for key, label, kind, low, high in PARAMS:
        value = current.get(key)
        mark = unconfirmed(current, key)
        if kind in BY_ENTRY:
            for i, doc in enumerate(entries[key]):
                attrs[confirm_name(key, i)] = BooleanField(_l("to confirm"))
                data[confirm_name(key, i)] = mark is True or doc in (mark or [])
        else:
            attrs[confirm_name(key)] = BooleanField(_l("to confirm"))
            data[confirm_name(key)] = bool(mark)
        if kind == "threshold":
            for part, part_label in (("num", _l("numerator")), ("den", _l("denominator"))):
                attrs[field_name(key, part)] = NumberField(
                    part_label, validators=[required], low=low, high=high)
                data[field_name(key, part)] = (value or {}).get(part)
            attrs[field_name(key, "strict")] = BooleanField(_l("strictly more than"))
            data[field_name(key, "strict")] = bool((value or {}).get("strict"))
        elif kind == "bool":
            attrs[field_name(key)] = BooleanField(label)
            data[field_name(key)] = bool(value)
        elif kind == "months_by_doc":
            for i, doc in enumerate(entries[key]):
                attrs[field_name(key, i)] = NumberField(
                    doc, validators=[required], low=low, high=high)
                data[field_name(key, i)] = value[doc]
        elif kind == "labels_by_form":
            for i, doc in enumerate(entries[key]):
                attrs[field_name(key, i)] = TextField(
                    doc, validators=[required, longest(high), rule_set_code])
                data[field_name(key, i)] = value[doc]
        else:
            attrs[field_name(key)] = NumberField(
                label, validators=[required], low=low, high=high)
            data[field_name(key)] = value
    form_class = type("RuleSetForm", (RuleSetBaseForm,), attrs)
    return form_class(data=data) if prefill else form_class()


# --- the read log ---------------------------------------------------------------------------

class ReadSearch(Form):
    """The auditor's search of the read log (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    person = TextField(_l("Member (citizen ID or name)"), validators=[optional, longest(100)])
    user = TextField(_l("User (username or name)"), validators=[optional, longest(100)])
    since = DayField(_l("From the day"), validators=[optional])
    until = DayField(_l("To the day"), validators=[optional])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))


# --- the second factor ----------------------------------------------------------------------

class SecondFactorPolicyForm(Form):
    """One tick per role: its holders must sign in with a second factor."""


for _role_value, _label in ROLE_LABELS.items():
    setattr(SecondFactorPolicyForm, _role_value, BooleanField(_label))


class TreeImportForm(Form):
    file = FileField(_l("Organisations file (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))])
