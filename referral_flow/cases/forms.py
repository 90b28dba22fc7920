from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ActionForm(FlaskForm):
    """The common part of every action form; the step's own fields travel beside it."""
    version = IntegerField(_l("Version"), validators=[DataRequired(), NumberRange(min=1)])
    comment = TextAreaField(_l("Comment or reason"), validators=[Optional(), Length(max=2000)])
    on = DateField(_l("Date of the step"), validators=[Optional()])
