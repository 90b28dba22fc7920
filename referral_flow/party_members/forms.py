"""The roster forms: a Party member of a cell, and his leaving (the form kit's fields and
validators: translated messages, what was typed kept)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from ..forms import (ChoiceField, DayField, Form, TextField, email, longest, name_characters,
                     not_in_future, optional, person_name, phone, required, without_separators)
from ..models import PartyStatus

STATUSES = [(PartyStatus.official.value, _l("Official member")),
            (PartyStatus.probationary.value, _l("Probationary member"))]


def only_for_officials(form, field):
    """Official since: required for an official member, ignored for a probationary one."""
    if form.status.data != PartyStatus.official.value:
        field.data = None
        field.errors[:] = []
        raise StopValidation()
    required(form, field)


class PartyMemberForm(Form):
    full_name = TextField(_l("Full name"), filters=[person_name],
                          validators=[required, longest(120), name_characters])
    status = ChoiceField(_l("Status"), choices=STATUSES, validators=[required])
    official_since = DayField(_l("Official member since"),
                              validators=[only_for_officials, not_in_future])
    phone = TextField(_l("Phone"), filters=[without_separators],
                      validators=[optional, longest(20), phone])
    email = TextField(_l("E-mail"), validators=[optional, longest(120), email])

    def values(self) -> dict:
        """What goes into the PartyMember, typed as the model wants it."""
        return {"full_name": self.full_name.data, "status": PartyStatus(self.status.data),
                "official_since": self.official_since.data, "phone": self.phone.data or "",
                "email": self.email.data or ""}


class LeftForm(Form):
    left_on = DayField(_l("Left the cell on"), validators=[required, not_in_future])

    def __init__(self, *args, since=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = since

    def validate_left_on(self, field):
        if field.data and self.since and field.data < self.since:
            raise ValidationError(_("A member cannot leave before he became official "
                                    "(%(d)s).", d=self.since.strftime("%d/%m/%Y")))
