"""Forms of the targets screens. Counts are parsed by hand so that every refusal is a
translated message (WTForms' IntegerField would answer in English)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from ..forms import clean_text
from ..models.targets import MAX_TARGET

NOTE_MAX = 1000


def parse_count(raw) -> tuple[int | None, str | None]:
    """A whole number from 0 to MAX_TARGET typed in a box: (value, None) or (None, message).
    Empty gives (None, None)."""
    if raw is None:
        return None, None
    if not isinstance(raw, str):
        return None, _("Enter a whole number from 0 to %(n)d.", n=MAX_TARGET)
    text = raw.strip()
    if text == "":
        return None, None
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) > MAX_TARGET:
        return None, _("Enter a whole number from 0 to %(n)d.", n=MAX_TARGET)
    return int(text), None


class CountField(StringField):
    """A count box; shows back what was typed when refused."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else None
        value, error = parse_count(self.raw)
        self.data = value
        if error:
            raise ValueError(error)

    def _value(self):
        if self.errors and isinstance(getattr(self, "raw", None), str):
            return self.raw[:20]
        return "" if self.data is None else str(self.data)


def required_count(form, field):
    if field.errors:
        raise StopValidation()
    if field.data is None:
        raise StopValidation(_("%(field)s is required.", field=str(field.label.text)))


def note_length(form, field):
    if field.data and len(field.data) > NOTE_MAX:
        raise ValidationError(_("%(field)s is too long (at most %(n)d characters).",
                                field=str(field.label.text), n=NOTE_MAX))


class BulkForm(FlaskForm):
    value = CountField(_l("At least this many per CĐCS"), validators=[required_count])
    overwrite = BooleanField(_l("Also overwrite targets already set"))


class PlanForm(FlaskForm):
    planned = CountField(_l("Planned referrals"), validators=[required_count])
    note = TextAreaField(_l("Note"), filters=[clean_text], validators=[note_length])


class GridForm(FlaskForm):
    """Only the CSRF token; the grid's inputs are read by the view."""
