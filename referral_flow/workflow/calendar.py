"""Working days: Vietnamese public holidays (lunar ones and swap days included,
from the ``holidays`` package) plus administrator overrides."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select

from ..extensions import db
from ..models import HolidayOverride


@lru_cache(maxsize=1)
def _vn() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


class WorkingCalendar:
    def __init__(self, extra_off: set[date] = frozenset(), extra_working: set[date] = frozenset()):
        self.extra_off = set(extra_off)
        self.extra_working = set(extra_working)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working:
            return True
        if day in self.extra_off:
            return False
        vn = _vn()
        if day in vn:
            return False
        if day.weekday() in vn.weekend:
            return day in vn.weekend_workdays
        return True

    def add(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (start itself does not count)."""
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=i)))


    def index(self, first: date, last: date) -> dict[date, int]:
        """date -> working days in (first, date] for every date of [first, last]: the
        working days between two dates of the range are a subtraction."""
        index, n, day = {}, 0, first
        while day <= last:
            if day > first and self.is_working_day(day):
                n += 1
            index[day] = n
            day += timedelta(days=1)
        return index


def load_calendar(conn=None) -> WorkingCalendar:
    """The calendar with its overrides, read on ``conn`` when given (else the session)."""
    rows = (conn or db.session).execute(
        select(HolidayOverride.day, HolidayOverride.day_off)).all()
    return WorkingCalendar({d for d, off in rows if off}, {d for d, off in rows if not off})


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's end."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (age counted in months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day and add_months(start, months) > end:
        months -= 1
    return months
