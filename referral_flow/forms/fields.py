"""Field types. Each one accepts what people type, keeps it when it refuses it (the input
shows it back) and says why in the user's language."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import NumberInput, RadioInput, TextInput

from ..i18n import format_number
from .filters import clean_text, one_line

CHOOSE = _l("Choose one of the listed values.")
BAD_DAY = _l("Enter a valid date (dd/mm/yyyy).")
# Years a date typed in this app can sensibly have (birth dates to plans ahead).
FIRST_YEAR, LAST_YEAR = 1900, 2199
DAY_FORMS = [
    re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"),   # dd/mm/yyyy, d/m/yyyy
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"),       # ISO: scripts, tests
    re.compile(r"(?P<d>[0-9]{2})(?P<m>[0-9]{2})(?P<y>[0-9]{4})"),         # a digits-only keypad
]
DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{8}|\d{4}-\d{2}-\d{2}"


class ShowsTyped:
    """When the field is refused, its input shows exactly what was typed."""

    def _value(self):
        if self.errors and self.raw_data and isinstance(self.raw_data[0], str):
            return self.raw_data[0]
        return self.shown()

    def shown(self) -> str:
        """The value as the input shows it when nothing is wrong."""
        return super()._value()


class TextField(ShowsTyped, StringField):
    """A one-line text: NFC, trimmed, single spaces, no control characters."""

    def __init__(self, label=None, validators=None, filters=(one_line,), **kwargs):
        super().__init__(label, validators, filters=filters, **kwargs)


class NoteField(ShowsTyped, TextAreaField):
    """A text of several lines: NFC, trimmed, no control characters but line breaks."""

    def __init__(self, label=None, validators=None, filters=(clean_text,), **kwargs):
        super().__init__(label, validators, filters=filters, **kwargs)


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy (or d/m/yyyy, ddmmyyyy, yyyy-mm-dd) as a date; None when it is none."""
    for pattern in DAY_FORMS:
        found = pattern.fullmatch(text)
        if found:
            year, month, day = (int(found[k]) for k in "ymd")
            if not FIRST_YEAR <= year <= LAST_YEAR:
                return None
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


class DayField(ShowsTyped, Field):
    """A date typed as dd/mm/yyyy in a text input, shown as dd/mm/yyyy: a native date input
    follows the browser's language (mm/dd/yyyy in an English Chrome) and invites day/month
    swaps. d/m/yyyy, ddmmyyyy and ISO yyyy-mm-dd are accepted too."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, render_kw=None, **kwargs):
        render_kw = {"placeholder": _l("dd/mm/yyyy"), "inputmode": "numeric",
                     "pattern": DAY_PATTERN, "maxlength": 10, "autocomplete": "off",
                     **(render_kw or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value):
        self.data = value.date() if isinstance(value, datetime) else value

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0]
        text = raw.strip() if isinstance(raw, str) else ""
        self.data = None
        if not text and isinstance(raw, str):
            return                  # left empty: required/optional decide
        self.data = parse_day(text)
        if self.data is None:
            raise ValueError(str(BAD_DAY))

    def shown(self) -> str:
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""


class NumberField(ShowsTyped, Field):
    """A whole number from ``low`` to ``high`` (ASCII digits, a sign, spaces around); what is
    not one, or out of range, gets one message that says what to type."""

    widget = NumberInput()

    def __init__(self, label=None, validators=None, *, low: int = 0, high: int = 2**31 - 1,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high

    def message(self) -> str:
        return _("Enter a whole number from %(min)s to %(max)s.",
                 min=format_number(self.low), max=format_number(self.high))

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0]
        text = raw.strip() if isinstance(raw, str) else ""
        self.data = None
        if not text and isinstance(raw, str):
            return
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise ValueError(self.message())
        self.data = int(text)

    def pre_validate(self, form):
        if not self.errors and self.data is not None and not self.low <= self.data <= self.high:
            raise StopValidation(self.message())

    def shown(self) -> str:
        return "" if self.data is None else str(self.data)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as a select's choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChoiceField(SelectField):
    """A select. A value outside the list, or one that does not convert, is refused with a
    translated message; an empty value is left to ``required``/``optional``."""

    def __init__(self, label=None, validators=None, choices=None, **kwargs):
        super().__init__(label, validators, choices=options(choices) if choices else None,
                         validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0]
        self.data = None
        if raw in ("", None):
            return
        try:
            self.data = self.coerce(raw)
        except (ValueError, TypeError) as exc:
            raise ValueError(str(CHOOSE)) from exc

    def pre_validate(self, form):
        if self.errors or self.data in (None, ""):
            return
        if not any(choice.selected for choice in self.iter_choices()):
            raise StopValidation(str(CHOOSE))

    def iter_choices(self):
        """As SelectField's; the empty option ("—") is the one chosen while the field is
        empty, and is never converted with ``coerce``."""
        return [Choice(c.value, c.label, self._is_data(c.value), c.render_kw)
                for c in self._choices_from_input(self.choices) or []]

    def _is_data(self, value) -> bool:
        if self.data in (None, "") or value in (None, ""):
            return self.data in (None, "") and value in (None, "")
        try:
            return self.coerce(value) == self.data
        except (ValueError, TypeError):
            return False


class RadioChoiceField(ChoiceField):
    """A ChoiceField drawn as radio buttons (iterate over it to place each one)."""

    option_widget = RadioInput()
