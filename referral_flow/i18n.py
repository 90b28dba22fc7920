"""Vietnamese first: locale selection and Vietnamese formatting of dates and numbers."""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

from babel.numbers import get_group_symbol

from flask import Flask, current_app, request
from flask_babel import format_decimal, get_locale, to_user_timezone
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
        value = value.replace(tzinfo=timezone.utc)
    return to_user_timezone(value)


@lru_cache(maxsize=8)
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def format_number(value) -> str:
    """A number in the user's locale (2.158 in Vietnamese, 2,158 in English). Whole numbers
    take a fast path: a report page shows a thousand of them and Babel's general formatter
    costs tens of microseconds each."""
    value = value or 0
    if isinstance(value, int):
        return f"{value:,}".replace(",", _group_symbol(str(get_locale())))
    return format_decimal(value)


def register(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.filters["number"] = format_number
