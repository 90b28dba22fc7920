"""The forms of the second factor, shared by the sign-in, the account page and the
re-authentication before an export: a code (the authenticator's 6 digits or a recovery
code) and the enrolment's confirmation, which carries the proposed secret signed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from ..models import User
from ..services import second_factor as mfa
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

    def enrol(self, user: User) -> list[str] | None:
        """Switch the proposed authenticator on for ``user`` when the code matches: his new
        recovery codes; else None, with the error on the code field."""
        secret = mfa.pending_secret(user, self.pending.data)
        codes = mfa.enrol(user, secret, self.code.data) if secret else None
        if codes is None:
            self.code.errors.append(_l("This code does not match. Check the app and type the "
                                       "6 digits it shows now."))
        return codes
