"""Reading step data: typed fields with translated messages for what is missing or wrong."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ..text import has_invisible
from .errors import InvalidStepData

MAX_TEXT = 200


def text(data: dict, key: str, label, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = data.get(key)
    value = "" if value is None else str(value).strip()
    if has_invisible(value):        # NUL among them, which PostgreSQL refuses to store
        raise InvalidStepData(_l("%(field)s contains invisible or control characters.",
                                 field=label))
    if required and not value:
        raise InvalidStepData(_l("%(field)s is required.", field=label))
    if len(value) > limit:
        raise InvalidStepData(_l("%(field)s is too long (at most %(n)d characters).",
                                 field=label, n=limit))
    return value


def day(data: dict, key: str, label, *, required: bool = True) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise InvalidStepData(_l("%(field)s is required.", field=label))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidStepData(_l("%(field)s is not a valid date.", field=label)) from None


def count(data: dict, key: str, label) -> int:
    value = data.get(key)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):     # OverflowError: int(float("inf"))
        raise InvalidStepData(_l("%(field)s must be a whole number.", field=label)) from None
    if number < 0 or number > 100_000:
        raise InvalidStepData(_l("%(field)s is out of range.", field=label))
    return number


def flag(data: dict, key: str) -> bool:
    return data.get(key) in (True, "1", "true", "on", "y", "yes")
