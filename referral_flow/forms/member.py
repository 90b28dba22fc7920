"""A union member's fields and their rules, shared by the roster screen's form and the
roster import (one definition of what a valid member is)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import ValidationError

from .. import clock
from ..labels import GENDERS
from ..models.member import Education, Gender
from ..text import CITIZEN_ID, OLD_ID_NUMBER
from .base import Form
from .fields import ChoiceField, DayField, TextField
from .filters import person_name, without_separators
from .validators import (email, longest, name_characters, no_markup, not_in_future, optional,
                         phone, required)

MIN_AGE, MAX_AGE = 16, 80
EDUCATIONS = [(Education.primary.value, _l("Below lower secondary (under 9/12)")),
              (Education.lower_secondary.value, _l("Lower secondary, THCS (9/12)")),
              (Education.upper_secondary.value, _l("Upper secondary, THPT (12/12)")),
              (Education.higher.value, _l("Vocational, college, university or higher"))]


# --- validators -------------------------------------------------------------------------

def citizen_id(form, field):
    if not CITIZEN_ID.fullmatch(field.data or ""):
        raise ValidationError(_("The citizen ID must have exactly 12 digits."))


def old_id_number(form, field):
    if not OLD_ID_NUMBER.fullmatch(field.data or ""):
        raise ValidationError(_("The old identity card (CMND) number must have exactly 9 "
                                "digits."))


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


def no_union_date(form, field):
    if field.data and form.union_member_since.data:
        raise ValidationError(_("A person who is not a union member has no union membership "
                                "date: clear one of the two."))


class MemberFields(Form):
    """A union member's details as the roster keeps them: the screen's form adds the unit;
    each row of an imported roster is validated by this same form (``imports.roster``)."""
    full_name = TextField(_l("Full name"), filters=[person_name],
                          validators=[required, longest(120), name_characters])
    date_of_birth = DayField(_l("Date of birth"),
                             validators=[required, not_in_future, sensible_age])
    gender = ChoiceField(_l("Gender"), choices=[("", "—")] + GENDERS, validators=[required])
    # Optional here (imported rosters often lack it), required before a nomination.
    citizen_id = TextField(_l("Citizen ID (12 digits)"), filters=[without_separators],
                           validators=[optional, citizen_id])
    old_id_number = TextField(_l("Old identity card (CMND, 9 digits)"),
                              filters=[without_separators], validators=[optional, old_id_number])
    job = TextField(_l("Job"), validators=[required, longest(120), no_markup])
    direct_production = BooleanField(_l("Direct production worker"))
    phone = TextField(_l("Phone"), filters=[without_separators],
                      validators=[optional, longest(20), phone])
    email = TextField(_l("E-mail"), validators=[optional, longest(120), email])
    union_member_since = DayField(_l("Union member since"),
                                  validators=[optional, not_in_future, after_birth])
    # Checked at the cell vote where the rule set requires a THCS diploma (24-QĐ/TW §1.2.1).
    education = ChoiceField(_l("Education (highest diploma)"),
                            choices=[("", _l("Not recorded"))] + EDUCATIONS, validators=[optional])
    education_exception = TextField(
        _l("Exception granted by the Secretariat (below THCS)"),
        description=_l("Only for a candidate without a lower-secondary diploma: the "
                       "document that grants the exception."),
        validators=[optional, longest(500), no_markup])
    # Candidates outside a CĐCS (workflow.guards.member_in_unit, nominated_by_union).
    employer = TextField(_l("Employer"), validators=[optional, longest(200), no_markup],
                         description=_l("Required on the roster of a union above grassroots: "
                                        "the enterprise without a CĐCS where the worker "
                                        "works."))
    not_union_member = BooleanField(
        _l("Not a union member (two official Party members introduce him or her)"),
        validators=[no_union_date])

    FIELDS = ("full_name", "date_of_birth", "gender", "citizen_id", "old_id_number", "job",
              "direct_production", "phone", "email", "union_member_since", "education",
              "education_exception", "employer", "not_union_member")

    def values(self) -> dict:
        """What goes into the Member, typed as the model wants it."""
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["gender"] = Gender(data["gender"])
        data["citizen_id"] = data["citizen_id"] or None
        data["old_id_number"] = data["old_id_number"] or None
        data["phone"] = data["phone"] or ""
        data["email"] = data["email"] or ""
        data["direct_production"] = bool(data["direct_production"])
        data["education"] = Education(data["education"]) if data["education"] else None
        data["education_exception"] = data["education_exception"] or ""
        data["employer"] = data["employer"] or ""
        data["not_union_member"] = bool(data["not_union_member"])
        return data
