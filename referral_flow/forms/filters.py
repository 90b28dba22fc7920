"""WTForms filters: they run before validation; a ValueError becomes the field's message."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from ..text import InvalidValue, has_invisible, normalise_name

INVISIBLE = _l("The text contains invisible or control characters.")


def clean_text(value):
    """NFC, trimmed; invisible and control characters are refused (line breaks allowed)."""
    if value is None or not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).strip()
    if has_invisible(value, allow_newlines=True):
        raise ValueError(str(INVISIBLE))
    return value


def one_line(value):
    """clean_text, and no line breaks or tabs either; runs of spaces become one."""
    value = clean_text(value)
    if isinstance(value, str):
        if any(ch in value for ch in "\r\n\t"):
            raise ValueError(str(INVISIBLE))
        value = re.sub(r" {2,}", " ", value)
    return value


def without_separators(value):
    """Digits are often typed in groups: '001 090 123 456', '0912.345.678'."""
    value = one_line(value)
    if isinstance(value, str):
        value = re.sub(r"[ .()\-]", "", value)
    return value


def person_name(value):
    """one_line, then a person's name as the registers write it (NFC, spaced, capitalised)."""
    value = one_line(value)
    if not value:
        return value
    try:
        return normalise_name(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from exc
