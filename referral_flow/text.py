"""Names and identifiers: NFC normalisation, diacritic folding, validation."""
import re
import unicodedata

from flask_babel import lazy_gettext as _l

# ASCII digits only: \d would accept other scripts' digits, and $ a trailing newline.
CITIZEN_ID = re.compile(r"[0-9]{12}")
OLD_ID_NUMBER = re.compile(r"[0-9]{9}")      # the identity card (CMND) before the citizen ID
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


class InvalidValue(ValueError):
    """A value a user typed that cannot be stored; str() is a translated message."""


def has_invisible(value: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) in _INVISIBLE and ch not in allowed for ch in value)


def normalise_name(value: str) -> str:
    value = unicodedata.normalize("NFC", (value or "").strip())
    if has_invisible(value):
        raise InvalidValue(_l("The name contains invisible or control characters."))
    value = re.sub(r"\s+", " ", value)
    if not value:
        raise InvalidValue(_l("The name is required."))
    return value


def fold(value: str) -> str:
    """Lower-case, strip diacritics and map đ to d: 'Nguyễn Đức' -> 'nguyen duc'."""
    value = unicodedata.normalize("NFD", value.lower()).replace("đ", "d")
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", value).replace("đ", "d")


def validate_citizen_id(value: str) -> None:
    if not isinstance(value, str) or not CITIZEN_ID.fullmatch(value):
        raise InvalidValue(_l("The citizen ID must have exactly 12 digits."))


def validate_old_id_number(value: str) -> None:
    if not isinstance(value, str) or not OLD_ID_NUMBER.fullmatch(value):
        raise InvalidValue(_l("The old identity card (CMND) number must have exactly 9 digits."))
