"""Forms of the targets screens, on the shared kit (referral_flow/forms)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField

from ..forms import Form, NoteField, NumberField, RowForm, longest, optional, required
from ..models.targets import MAX_TARGET
from ..security.scope import MAX_ID

NOTE_MAX = 1000
MAX_ROWS = 1000            # rows one grid request may carry (a page shows 100)


def count_field(label, *, blank_ok=False):
    return NumberField(label, validators=[optional if blank_ok else required], low=0,
                       high=MAX_TARGET)


class BulkForm(Form):
    value = count_field(_l("At least this many per CĐCS"))
    overwrite = BooleanField(_l("Also overwrite targets already set"))


class PlanForm(Form):
    planned = count_field(_l("Planned referrals"))
    note = NoteField(_l("Note"), validators=[optional, longest(NOTE_MAX)])


class TargetRow(RowForm):
    """One unit of the grid; an empty target leaves the unit's target as it is."""
    node_id = NumberField(validators=[required], low=1, high=MAX_ID)
    target = count_field(_l("Target"), blank_ok=True)


class GridForm(Form):
    rows = FieldList(FormField(TargetRow), max_entries=MAX_ROWS)
