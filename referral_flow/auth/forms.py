from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import clean_text


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)],
                           filters=[clean_text])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class EmptyForm(FlaskForm):
    """Carries only the CSRF token: for action buttons."""
