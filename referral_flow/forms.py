"""Form helpers shared by every blueprint."""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from .text import has_invisible


def clean_text(value):
    """WTForms filter: NFC, trimmed; invisible and control characters are refused."""
    if value is None or not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).strip()
    if has_invisible(value, allow_newlines=True):
        raise ValueError(str(_l("The text contains invisible or control characters.")))
    return value
