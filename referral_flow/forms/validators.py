"""Validators with translated messages. A field whose value could not even be read (a
filter or the field's parser already refused it) keeps that one message."""
from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from .. import clock
from ..security import passwords

REQUIRED = _l("This field is required.")


def _empty(data) -> bool:
    return data is None or (isinstance(data, str) and not data)


class Required:
    """The field must hold a value (0 and False are values). Sets the ``required`` flag,
    so the input carries ``required`` for assistive technology (forms are ``novalidate``:
    the server gives the message)."""

    field_flags: ClassVar[dict] = {"required": True}

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


PHONE = re.compile(r"\+?[0-9]{8,15}")
# A plain address: no quoted local parts, no IP literals; ASCII (what the mail servers of the
# province accept). Long enough forms are refused by the length check first.
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*"
                   r"[A-Za-z0-9])?)+")


def phone(form, field):
    if not PHONE.fullmatch(field.data or ""):
        raise ValidationError(_l("Enter a phone number: 8 to 15 digits, optionally starting "
                                 "with +."))


def email(form, field):
    if not EMAIL.fullmatch(field.data or ""):
        raise ValidationError(_l("Enter a valid e-mail address, such as ten@example.vn."))


# Letters of any script, spaces, and the apostrophe, hyphen and full stop that some names
# carry (ethnic minority names such as H'Hen Niê).
NAME_PUNCTUATION = set(" '’-.")


def name_characters(form, field):
    bad = [ch for ch in field.data or ""
           if not unicodedata.category(ch).startswith("L") and ch not in NAME_PUNCTUATION]
    if bad or not any(unicodedata.category(ch).startswith("L") for ch in field.data or ""):
        raise ValidationError(_l("A name may contain only letters, spaces and the characters "
                                 "' - ."))


def not_in_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_l("%(field)s cannot be in the future.",
                                 field=str(field.label.text)))


def new_password(user_inputs):
    """The password policy (``security.passwords``) as a validator; ``user_inputs(form)``
    gives what the password must not be built from (the username, the full name)."""
    def check(form, field):
        reason = passwords.problem(field.data or "", user_inputs(form))
        if reason is not None:
            raise ValidationError(reason)
    check.field_flags = {"maxlength": passwords.MAX_LENGTH}
    return check
