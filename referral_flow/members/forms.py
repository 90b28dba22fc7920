"""The union chair's member form, on the shared kit (referral_flow/forms)."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import ValidationError

from .. import clock
from ..forms import (ChoiceField, DayField, Form, TextField, longest, no_markup, one_line,
                     optional, required)
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
GENDERS = [(Gender.male.value, _l("Male")), (Gender.female.value, _l("Female"))]


# --- filters (run before validation; a ValueError becomes the field's message) ----------

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


def name_characters(form, field):
    bad = [ch for ch in field.data or ""
           if not unicodedata.category(ch).startswith("L") and ch not in NAME_PUNCTUATION]
    if bad or not any(unicodedata.category(ch).startswith("L") for ch in field.data or ""):
        raise ValidationError(_("A name may contain only letters, spaces and the characters "
                                "' - ."))


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


class MemberForm(Form):
    unit_id = ChoiceField(_l("Union unit"), coerce=int, validators=[required])
    full_name = TextField(_l("Full name"), filters=[person_name],
                          validators=[required, longest(120), name_characters])
    date_of_birth = DayField(_l("Date of birth"),
                             validators=[required, not_in_future, sensible_age])
    gender = ChoiceField(_l("Gender"), choices=[("", "—")] + GENDERS, validators=[required])
    citizen_id = TextField(_l("Citizen ID (12 digits)"), filters=[without_separators],
                           validators=[required, citizen_id])
    job = TextField(_l("Job"), validators=[required, longest(120), no_markup])
    direct_production = BooleanField(_l("Direct production worker"))
    phone = TextField(_l("Phone"), filters=[without_separators],
                      validators=[optional, longest(20), phone])
    email = TextField(_l("E-mail"), validators=[optional, longest(120), email])
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
