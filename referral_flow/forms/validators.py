"""Validators with translated messages. A field whose value could not even be read (a
filter or the field's parser already refused it) keeps that one message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

REQUIRED = _l("This field is required.")


def _empty(data) -> bool:
    return data is None or (isinstance(data, str) and not data)


class Required:
    """The field must hold a value (0 and False are values). Sets the ``required`` flag,
    so the input carries ``required`` for assistive technology (forms are ``novalidate``:
    the server gives the message)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if field.errors:
            raise StopValidation()
        if _empty(field.data):
            raise StopValidation(str(REQUIRED))


required = Required()


def optional(form, field):
    """An empty field is valid and skips the other validators."""
    if field.errors:
        raise StopValidation()
    if _empty(field.data):
        field.errors[:] = []
        raise StopValidation()


def longest(n: int):
    def check(form, field):
        if isinstance(field.data, str) and len(field.data) > n:
            raise ValidationError(_l("At most %(max)d characters.", max=n))
    check.field_flags = {"maxlength": n}
    return check


def no_markup(form, field):
    """Names, titles and notes never need markup; other punctuation (; ' " -) is plain
    text that the database stores and the templates escape."""
    if isinstance(field.data, str) and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("The text cannot contain < or >."))
