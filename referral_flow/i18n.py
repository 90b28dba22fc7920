"""Vietnamese first: locale selection and Vietnamese formatting of dates and numbers.

Every figure a page, a report sentence or an export shows goes through ``format_number``
and ``format_percentage`` (Jinja filters ``number`` and ``percent``), so that one figure
reads the same everywhere and can be pasted into a report: Vietnamese 2.158; 17,4;
110,7 %; 1.150 % (thousands ``.``, decimal ``,``, a space before ``%``), English 2,158;
17.4; 110.7 %. ``shown`` is the rounding both use and that the spreadsheets store, so a
downloaded figure equals the one on the page. ``csv_style`` is how a CSV download writes
its separators for the user's language (see ``exports``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, UTC
from functools import lru_cache

from babel.numbers import get_group_symbol

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_decimal, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from .extensions import babel


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def vn_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy; an instant (stored in UTC) on the day it was in the user's time zone."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%d/%m/%Y") if value else ""


def vn_datetime(value: datetime | None) -> str:
    return _local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return to_user_timezone(value)


@lru_cache(maxsize=8)
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def shown(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded as pages and exports show it (one decimal by default)."""
    return None if value is None else round(value, digits)


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


def format_number(value, digits: int = 1) -> str:
    """A number in the user's locale: a whole number grouped (2.158 in Vietnamese, 2,158 in
    English), a fraction with ``digits`` decimals (17,4). Whole numbers take a fast path:
    a report page shows a thousand of them and Babel's general formatter costs tens of
    microseconds each."""
    value = value or 0
    if isinstance(value, int):
        return f"{value:,}".replace(",", _group_symbol(str(get_locale())))
    return format_decimal(shown(value, digits), _pattern(digits))


def format_megabytes(size: int) -> str:
    """A size in bytes as megabytes, the user's way (16; 2,5 in Vietnamese)."""
    megabytes = size / 1_000_000
    return format_number(int(megabytes) if megabytes.is_integer() else megabytes)


def format_difference(value: int) -> str:
    """A difference with its sign, grouped the user's way (+1.150, −3, 0)."""
    return ("+" if value > 0 else "−" if value < 0 else "") + format_number(abs(value))


def format_percentage(value: float | None, digits: int = 1) -> str:
    """A percentage (110.66 -> "110,7 %" in Vietnamese, "110.7 %" in English); "—" when
    there is none (no target)."""
    if value is None:
        return "—"
    return format_decimal(shown(value, digits), _pattern(digits)) + " %"


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV separates fields and writes a decimal, for the spreadsheet of the user's
    regional settings (see ``exports``)."""
    delimiter: str
    decimal: str
    region: LazyString      # the regional settings it suits


VIETNAMESE_CSV = CsvStyle(";", ",", _l("Vietnam"))
ENGLISH_CSV = CsvStyle(",", ".", _l("the United States"))


def csv_style(language: str | None = None) -> CsvStyle:
    """English users get commas and decimal points (Excel en-US), every other user
    (Vietnamese, the default) semicolons and decimal commas (Excel vi-VN). ``language``:
    the user's when there is no request (a background job)."""
    if language is None and has_request_context():
        locale = get_locale()
        language = locale.language if locale is not None else None
    return ENGLISH_CSV if language == "en" else VIETNAMESE_CSV


def register(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = format_percentage
    app.jinja_env.filters["difference"] = format_difference
    app.jinja_env.globals["csv_style"] = csv_style
