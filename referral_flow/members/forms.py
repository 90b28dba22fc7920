"""The union chair's member form. Every message is translated (WTForms ships no
Vietnamese catalogue, so none of its built-in messages may reach the user)."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from .. import clock
from ..forms import clean_text
from ..models.member import Gender
from ..text import CITIZEN_ID, InvalidValue, normalise_name

MIN_AGE, MAX_AGE = 16, 80
PHONE = re.compile(r"\+?[0-9]{8,15}")
# A plain address: no quoted local parts, no IP literals; ASCII (what the mail servers of the
# province accept). Long enough forms are refused by the length check first.
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*"
                   r"[A-Za-z0-9])?)+")
# Letters of any script, spaces, and the apostrophe, hyphen and full stop that some names
# carry (ethnic minority names such as H'Hen Niê).
NAME_PUNCTUATION = set(" '’-.")
GENDERS = [SelectChoice(Gender.male.value, _l("Male")),
           SelectChoice(Gender.female.value, _l("Female"))]


# --- filters (run before validation; a ValueError becomes the field's message) ----------

def one_line(value):
    """clean_text, and no line breaks or tabs either; runs of spaces become one."""
    value = clean_text(value)
    if isinstance(value, str):
        if any(ch in value for ch in "\r\n\t"):
            raise ValueError(str(_l("The text contains invisible or control characters.")))
        value = re.sub(r" {2,}", " ", value)
    return value


def person_name(value):
    value = one_line(value)
    if not value:
        return value
    try:
        return normalise_name(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from exc


def without_separators(value):
    """Digits are often typed in groups: '001 090 123 456', '0912.345.678'."""
    value = one_line(value)
    if isinstance(value, str):
        value = re.sub(r"[ .()\-]", "", value)
    return value


# --- validators -------------------------------------------------------------------------

def _label(field) -> str:
    return str(field.label.text)


def required(form, field):
    if field.errors:            # the filter or the parser already said what is wrong
        raise StopValidation()
    if field.data is None or (isinstance(field.data, str) and not field.data):
        raise StopValidation(_("%(field)s is required.", field=_label(field)))


def optional(form, field):
    if field.errors:
        raise StopValidation()
    if field.data is None or field.data == "":
        field.errors[:] = []
        raise StopValidation()


def longest(n: int):
    def check(form, field):
        if field.data and len(field.data) > n:
            raise ValidationError(_("%(field)s is too long (at most %(n)d characters).",
                                    field=_label(field), n=n))
    return check


def name_characters(form, field):
    bad = [ch for ch in field.data or ""
           if not unicodedata.category(ch).startswith("L") and ch not in NAME_PUNCTUATION]
    if bad or not any(unicodedata.category(ch).startswith("L") for ch in field.data or ""):
        raise ValidationError(_("A name may contain only letters, spaces and the characters "
                                "' - ."))


def no_markup(form, field):
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_("The text cannot contain < or >."))


def citizen_id(form, field):
    if not CITIZEN_ID.fullmatch(field.data or ""):
        raise ValidationError(_("The citizen ID must have exactly 12 digits."))


def phone(form, field):
    if not PHONE.fullmatch(field.data or ""):
        raise ValidationError(_("Enter a phone number: 8 to 15 digits, optionally starting "
                                "with +."))


def email(form, field):
    if not EMAIL.fullmatch(field.data or ""):
        raise ValidationError(_("Enter a valid e-mail address, such as ten@example.vn."))


def not_in_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_("%(field)s cannot be in the future.", field=_label(field)))


def sensible_age(form, field):
    born, today = field.data, clock.today()
    if not born or born > today:
        return
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValidationError(_("A union member is from %(low)d to %(high)d years old; check "
                                "the date of birth.", low=MIN_AGE, high=MAX_AGE))


def after_birth(form, field):
    born = form.date_of_birth.data
    if form.date_of_birth.errors:          # one message about the birth date is enough
        return
    if field.data and born and field.data < born:
        raise ValidationError(_("Union membership cannot start before the date of birth."))


def one_of_the_choices(form, field):
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(_("Choose one of the options in the list."))


# --- fields -----------------------------------------------------------------------------

class DayField(DateField):
    """``<input type="date">`` sends yyyy-mm-dd; dd/mm/yyyy typed by hand is accepted too.
    A value that is no date keeps what the user typed and gets a translated message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d/%m/%Y"], **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip()]
            if not valuelist[0]:            # left empty: the validators decide
                self.data = None
                return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("%(field)s is not a valid date.", field=_label(self))) from exc


class TextField(StringField):
    """A text input that, when refused, shows back exactly what the user typed."""

    def _value(self):
        if self.errors and self.raw_data and isinstance(self.raw_data[0], str):
            return self.raw_data[0]
        return super()._value()


class ChoiceField(SelectField):
    """A select whose refusal of a value not in the list is translated."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MemberForm(FlaskForm):
    unit_id = ChoiceField(_l("Union unit"), coerce=_int_or_none,
                          validators=[required, one_of_the_choices])
    full_name = TextField(_l("Full name"), filters=[person_name],
                            validators=[required, longest(120), name_characters])
    date_of_birth = DayField(_l("Date of birth"),
                             validators=[required, not_in_future, sensible_age])
    gender = ChoiceField(_l("Gender"), choices=[SelectChoice("", "—")] + GENDERS,
                         validators=[required, one_of_the_choices])
    citizen_id = TextField(_l("Citizen ID (12 digits)"), filters=[without_separators],
                             validators=[required, citizen_id])
    job = TextField(_l("Job"), filters=[one_line],
                      validators=[required, longest(120), no_markup])
    direct_production = BooleanField(_l("Direct production worker"))
    phone = TextField(_l("Phone"), filters=[without_separators],
                        validators=[optional, longest(20), phone])
    email = TextField(_l("E-mail"), filters=[one_line],
                        validators=[optional, longest(120), email])
    union_member_since = DayField(_l("Union member since"),
                                  validators=[optional, not_in_future, after_birth])

    FIELDS = ("full_name", "date_of_birth", "gender", "citizen_id", "job",
              "direct_production", "phone", "email", "union_member_since")

    def values(self) -> dict:
        """What goes into the Member, typed as the model wants it."""
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["gender"] = Gender(data["gender"])
        data["phone"] = data["phone"] or ""
        data["email"] = data["email"] or ""
        data["direct_production"] = bool(data["direct_production"])
        return data


class ButtonForm(FlaskForm):
    """Only the CSRF token: for one-button actions (nominate)."""
