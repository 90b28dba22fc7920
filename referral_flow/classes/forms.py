"""Forms of the class screens. Bulk rows are read from the request one by one (see
routes.py), so that one bad row is reported on its own line and never blocks the others."""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from ..forms import clean_text
from ..text import has_invisible

MAX_CAPACITY = 500


class ClassForm(FlaskForm):
    name = StringField(_l("Name of the class"), validators=[DataRequired(), Length(max=200)],
                       filters=[clean_text])
    organiser_id = SelectField(_l("Organised by (Party organisation)"), coerce=int,
                               validators=[InputRequired()])
    co_organiser = StringField(_l("Co-organiser (e.g. the provincial labour federation)"),
                               validators=[Optional(), Length(max=200)], filters=[clean_text])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)],
                        filters=[clean_text])
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_CAPACITY)])
    certificate_prefix = StringField(
        _l("Certificate number prefix"), validators=[Optional(), Length(max=30)],
        filters=[clean_text],
        description=_l("Automatic numbers are this prefix followed by 001, 002, …"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The class cannot end before it starts."))


class BulkForm(FlaskForm):
    """Only the CSRF token: the rows are read one by one."""


def clean_cell(value: str | None, limit: int) -> tuple[str, object | None]:
    """(cleaned text, error message or None) for one typed cell of a bulk table."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if has_invisible(value):
        return value, _l("The text contains invisible or control characters.")
    if len(value) > limit:
        return value, _l("The text is too long (at most %(n)d characters).", n=limit)
    return value, None


class SkipForm(FlaskForm):
    """A certificate already held, still valid: the candidate skips the class."""
    version = IntegerField(_l("Version"), validators=[InputRequired(), NumberRange(min=1)])
    certificate_no = StringField(_l("Certificate number"),
                                 validators=[DataRequired(), Length(max=40)], filters=[clean_text])
    certificate_issuer = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=200)],
                                     filters=[clean_text])
    certificate_on = DateField(_l("Certificate date"), validators=[DataRequired()])
