"""The union chair's member form: the shared member fields (``forms.member``) and the unit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..forms import ChoiceField, required
from ..forms.member import MemberFields


class MemberForm(MemberFields):
    unit_id = ChoiceField(_l("Union unit"), coerce=int, validators=[required])
