from flask_babel import lazy_gettext as _l
from wtforms import PasswordField

from ..forms import Form, TextField, longest, required


class LoginForm(Form):
    username = TextField(_l("Username"), validators=[required, longest(60)])
    password = PasswordField(_l("Password"), validators=[required, longest(200)])
