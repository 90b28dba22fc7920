"""The password policy and the credential check, in one place.

Every password a person chooses (the administrator's form, ``flask users create``, the
change form after a reset) goes through ``problem()``: 12 to 128 characters, not on the
list of refused passwords, and hard enough to guess by zxcvbn's estimate (score 3 of 4,
told the user's name and the application's words). zxcvbn explains itself in English, so
the reason is taken from the kind of pattern it found and said in our own words.

The demo and the test factories call ``User.set_password`` directly: their passwords are
published fixtures, not choices, and the production start-up refuses the demo password.

``credentials_ok()`` costs one hash of the configured method whether or not the account
exists or is active, so the time of a refusal does not tell which (F-3.6).
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from ..models import User
from ..text import fold

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
# Words of this application that a password must not be built from.
APP_WORDS = ("referral_flow", "referral", "congdoan", "dang", "doanvien", "dangvien")
# Refused whatever zxcvbn thinks (F-3.1): published, or accepted before this policy.
REFUSED = frozenset({"password1234", "123456789012", "aaaaaaaaaaaa", "demo-only-2026"})

# zxcvbn's weakest finding → our reason. Checked in this order; the first present wins.
REASONS = (
    ("user_inputs", _l("It contains your name, your username or the application's name.")),
    ("passwords", _l("It is one of the most common passwords.")),
    ("repeat", _l("It repeats the same characters or words.")),
    ("sequence", _l("It follows a sequence such as 1234 or abcd.")),
    ("spatial", _l("It follows a row of keys on the keyboard.")),
    ("date", _l("It is built on a date or a year, which is easy to guess.")),
    ("dictionary", _l("It is made of common words or names.")),
)
EASY = _l("It is too easy to guess.")
ADVICE = _l("Choose a longer phrase of several words that others would not think of.")
# Letters and digits that cannot be misread when an administrator reads them out.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _finding(match: dict) -> str:
    if match["pattern"] == "dictionary":
        return match["dictionary_name"] if match["dictionary_name"] in (
            "user_inputs", "passwords") else "dictionary"
    if match["pattern"] == "regex":          # zxcvbn's only regex is "recent year"
        return "date"
    return match["pattern"]


def user_words(*values: str | None) -> list[str]:
    """What a person's password must not be built from: each value as typed, folded
    (no diacritics, as passwords are typed) and split into words."""
    words: set[str] = set(APP_WORDS)
    for value in filter(None, values):
        folded = fold(value)
        words.update({value.lower(), folded, folded.replace(" ", ""), *folded.split()})
    return sorted(words)


def problem(password: str, user_inputs: Iterable[str | None] = ()) -> LazyString | None:
    """Why ``password`` is refused, in the user's language; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("At least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("At most %(max)d characters.", max=MAX_LENGTH)
    if password.casefold() in REFUSED:
        return _sentences(_l("This password is known and refused."), ADVICE)
    result = zxcvbn(password, user_inputs=user_words(*user_inputs), max_length=MAX_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    found = {_finding(m) for m in result["sequence"]}
    reason = next((text for key, text in REASONS if key in found), EASY)
    return _sentences(_l("This password is too easy to guess."), reason, ADVICE)


def _sentences(*parts: LazyString) -> LazyString:
    """Translated sentences joined when shown, in the language of whoever reads them."""
    return LazyString(lambda: " ".join(map(str, parts)))


def one_time_password() -> str:
    """A password an administrator reads to a user once: 4 groups of 4 unambiguous
    characters (about 79 bits), which the user must replace at the next sign-in."""
    chars = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def credentials_ok(user: User | None, password: str) -> bool:
    """Whether ``user`` may sign in with ``password``. One hash of the configured method is
    checked in every case, a dummy one when the account is unknown or inactive."""
    usable = user is not None and user.active
    stored = user.password_hash if usable else _dummy_hash(
        current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(stored, password) and usable
