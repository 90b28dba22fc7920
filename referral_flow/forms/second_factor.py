"""The forms of the second factor, shared by the sign-in, the account page and the
re-authentication before an export: a code (the authenticator's 6 digits or a recovery
code) and the enrolment's confirmation, which carries the proposed secret signed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from .base import Form
from .fields import TextField
from .validators import longest, required


CODE_LABEL = _l("Code from the authenticator app")


def code_field(description=None):
    return TextField(CODE_LABEL, validators=[required, longest(40)], description=description,
                     render_kw={"autocomplete": "one-time-code", "autocapitalize": "off",
                                "spellcheck": "false"})


class CodeForm(Form):
    code = code_field(description=_l("6 digits, or one of your recovery codes."))


class EnrolForm(Form):
    pending = HiddenField()
    code = code_field(description=_l("The 6 digits the app shows now, to confirm it is set up."))
