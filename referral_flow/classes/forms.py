"""Forms of the class screens, on the shared kit (referral_flow/forms). The bulk tables are
``FieldList(FormField(row))``: each row is checked on its own, so one bad row is reported on
its line and never blocks the others."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SubmitField
from wtforms.validators import ValidationError

from ..forms import (ChoiceField, DayField, Form, NumberField, RadioChoiceField, RowForm,
                     TextField, longest, no_markup, optional, required)
from ..security.scope import MAX_ID
from ..services.classes import FAIL, PASS, EnrolRow, ResultRow

MAX_CAPACITY = 500
MAX_ROWS = 200                 # rows one bulk request may carry


def _text(label, limit, *, blank_ok=False, **kwargs):
    return TextField(label, validators=[optional if blank_ok else required, longest(limit),
                                        no_markup], **kwargs)


class ClassForm(Form):
    name = _text(_l("Name of the class"), 200)
    organiser_id = ChoiceField(_l("Organised by (Party organisation)"), coerce=int,
                               validators=[required])
    co_organiser = _text(_l("Co-organiser (e.g. the provincial labour federation)"), 200,
                         blank_ok=True)
    starts_on = DayField(_l("Starts on"), validators=[required])
    ends_on = DayField(_l("Ends on"), validators=[required])
    place = _text(_l("Place"), 200, blank_ok=True)
    capacity = NumberField(_l("Places"), validators=[required], low=1, high=MAX_CAPACITY)
    certificate_prefix = _text(
        _l("Certificate number prefix"), 30, blank_ok=True,
        description=_l("Every certificate of the class is numbered this prefix and then 001, "
                       "002, …; it cannot change once a certificate is numbered."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The class cannot end before it starts."))

    def values(self) -> dict:
        """The class's columns, as the model stores them."""
        return {"name": self.name.data, "organiser_id": self.organiser_id.data,
                "co_organiser": self.co_organiser.data or "", "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "place": self.place.data or "",
                "capacity": self.capacity.data,
                "certificate_prefix": self.certificate_prefix.data or ""}


class ClassFilter(Form):
    """The class list's filters (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    organiser = ChoiceField(_l("Organised by"), coerce=int, validators=[optional])
    when = ChoiceField(_l("Classes"), validators=[optional], choices=[
        ("", _l("All")), ("open", _l("Open or upcoming")), ("ended", _l("Ended"))])


# --- bulk enrolment -----------------------------------------------------------------------------

class EnrolRowForm(RowForm):
    case_id = NumberField(validators=[required], low=1, high=MAX_ID)
    version = NumberField(validators=[optional], low=1)
    selected = BooleanField(_l("Select"))


class EnrolForm(Form):
    rows = FieldList(FormField(EnrolRowForm), max_entries=MAX_ROWS)

    def chosen(self) -> list[EnrolRow]:
        """The ticked rows (rows that are not even a case id are left out)."""
        return [EnrolRow(row.case_id.data, row.version.data if not row.version.errors else None)
                for row in (entry.form for entry in self.rows)
                if row.selected.data and row.case_id.data and not row.case_id.errors]


# --- bulk results ---------------------------------------------------------------------------------

class ResultRowForm(RowForm):
    """One enrolled candidate. A row left at "not yet" is neither checked nor changed."""
    enrolment_id = NumberField(validators=[required], low=1, high=MAX_ID)
    version = NumberField(validators=[optional], low=1)
    result = RadioChoiceField(_l("Result"), validators=[optional], choices=[
        ("", _l("not yet")), (PASS, _l("passed")), (FAIL, _l("not passed"))])
    certificate_no = _text(_l("Certificate number"), 40, blank_ok=True)
    certificate_on = DayField(_l("Certificate date"), validators=[optional])
    reason = _text(_l("Reason if not passed"), 2000, blank_ok=True)

    def validate(self, extra_validators=None) -> bool:
        if not self.result.data:
            return True
        return super().validate(extra_validators)

    def typed(self) -> ResultRow:
        """The row for the service, with the form's first message about the fields its
        result needs (a forged version is an out-of-date form)."""
        needed = (self.certificate_no, self.certificate_on) if self.result.data == PASS \
            else (self.reason,)
        errors = [str(e) for f in needed for e in f.errors]
        return ResultRow(
            enrolment_id=self.enrolment_id.data, verdict=self.result.data,
            version=None if self.version.errors else self.version.data,
            number=self.certificate_no.data or "", certificate_on=self.certificate_on.data,
            reason=self.reason.data or "", error=errors[0] if errors else None)


class ResultsForm(Form):
    rows = FieldList(FormField(ResultRowForm), max_entries=MAX_ROWS)
    # The table's button asks for the review; the review's buttons save or go back.
    confirm = SubmitField(_l("Confirm and save"))
    back = SubmitField(_l("Back to the results"))

    def chosen(self) -> list[ResultRow]:
        """The rows given a result (rows that are not even an enrolment are left out)."""
        return [row.typed() for row in (entry.form for entry in self.rows)
                if row.result.data in (PASS, FAIL) and row.enrolment_id.data
                and not row.enrolment_id.errors]


class SkipForm(Form):
    """A certificate already held, still valid: the candidate skips the class."""
    version = NumberField(_l("Version"), validators=[required], low=1)
    certificate_no = _text(_l("Certificate number"), 40)
    certificate_issuer = _text(_l("Issued by"), 200)
    certificate_on = DayField(_l("Certificate date"), validators=[required])
