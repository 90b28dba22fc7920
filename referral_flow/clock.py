"""The application's one clock: nothing else reads the system date or time.

"Today" is the date in Vietnam (``BABEL_DEFAULT_TIMEZONE``, Asia/Ho_Chi_Minh) whatever the server's
zone: between 00:00 and 07:00 Vietnam time the UTC date is still yesterday. ``FROZEN_TODAY``
in the config pins the date (tests, and browser tests that walk a case through 12 months of
probation); ``now()`` then keeps the time of day but moves to the pinned date, so that what is
recorded "now" falls on the pinned day as well. ``FROZEN_NOW`` (an aware datetime) pins the
instant itself, so that a test can move time by minutes (idle and absolute session limits);
today is then its date in Vietnam unless ``FROZEN_TODAY`` says otherwise.
"""
from __future__ import annotations

from datetime import date, datetime, UTC
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE) \
        if has_app_context() else DEFAULT_ZONE
    return _zone(name)


def _frozen() -> date | None:
    return current_app.config.get("FROZEN_TODAY") if has_app_context() else None


def _frozen_now() -> datetime | None:
    return current_app.config.get("FROZEN_NOW") if has_app_context() else None


def now() -> datetime:
    """The current instant, timezone-aware in UTC (on the pinned day when the date is pinned)."""
    pinned = _frozen_now()
    if pinned:
        return pinned.astimezone(UTC)
    local = datetime.now(zone())
    frozen = _frozen()
    if frozen:
        local = local.replace(year=frozen.year, month=frozen.month, day=frozen.day)
    return local.astimezone(UTC)


def today() -> date:
    """Today's date in Vietnam."""
    pinned = _frozen_now()
    return _frozen() or (pinned or datetime.now(zone())).astimezone(zone()).date()


def wall_clock() -> datetime:
    """The real instant, never pinned: one-time codes must agree with the user's
    authenticator app, and the security timers (the sign-in's steps, re-authentication)
    measure real elapsed time, whatever date the application pins."""
    return datetime.now(UTC)
