from flask_babel import lazy_gettext as _l
from wtforms import PasswordField

from ..forms import Form, TextField, longest, required
from ..forms.second_factor import code_field


class LoginForm(Form):
    username = TextField(_l("Username"), validators=[required, longest(60)])
    password = PasswordField(_l("Password"), validators=[required, longest(200)])


class ReauthForm(Form):
    password = PasswordField(_l("Password"), validators=[required, longest(200)])
    code = code_field()
