"""The union chair's member form: the shared member fields (``forms.member``) and the unit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from ..forms import ChoiceField, Form, RadioChoiceField, optional, required
from ..forms.member import MemberFields
from ..imports.roster import SKIP, UPDATE


class MemberForm(MemberFields):
    unit_id = ChoiceField(_l("Union unit"), coerce=int, validators=[required])


class RosterImportForm(Form):
    """The roster file and what becomes of the members already kept."""
    file = FileField(_l("Roster file (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))])
    unit_id = ChoiceField(_l("Union unit"), coerce=int, validators=[optional])
    existing = RadioChoiceField(_l("Members already on the roster"), default=SKIP,
                                validators=[required], choices=[
                                    (SKIP, _l("Leave them as they are")),
                                    (UPDATE, _l("Update them from the file"))])
