"""The working-day calendar: weekends, Vietnamese public holidays (lunar ones and
the government's swap days, from the ``holidays`` package), administrator overrides,
and the month arithmetic used for ages, validities and probation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral_flow.models import HolidayOverride
from referral_flow.workflow.calendar import (WorkingCalendar, add_months, load_calendar,
                                             months_between)

CAL = WorkingCalendar()
TET_2026 = [date(2026, 2, d) for d in range(16, 21)]     # Mon 16 – Fri 20 February


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- is_working_day ---------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (date(2026, 3, 6), True),      # Friday
    (date(2026, 3, 7), False),     # Saturday
    (date(2026, 3, 8), False),     # Sunday
    (date(2026, 3, 9), True),      # Monday
    (date(2026, 1, 1), False),     # New Year's Day (Thursday)
    (date(2026, 2, 13), True),     # the Friday before Tết
    (date(2026, 2, 23), True),     # the Monday after Tết
    (date(2026, 4, 27), False),    # Hùng Kings' day observed (26 April is a Sunday)
    (date(2026, 9, 2), False),     # National Day
    (date(2025, 4, 26), True),     # Saturday worked in exchange for ...
    (date(2025, 5, 2), False),     # ... Friday 2 May 2025, a day off
    (date(2025, 4, 25), True),     # the Friday before the swapped Saturday is ordinary
    (date(2025, 4, 27), False),    # and the Sunday after it is still a weekend
])
def test_is_working_day(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize("day", TET_2026)
def test_tet_2026_is_off(day):
    assert day.weekday() < 5          # weekdays that are nevertheless days off
    assert not CAL.is_working_day(day)


def test_the_week_of_tet_2026_has_no_working_day():
    assert CAL.between(date(2026, 2, 15), date(2026, 2, 22)) == 0
    assert CAL.add(date(2026, 2, 13), 1) == date(2026, 2, 23)


@pytest.mark.parametrize("extra_off, extra_working, day, default, overridden", [
    ({date(2026, 3, 9)}, set(), date(2026, 3, 9), True, False),      # an extra day off
    (set(), {date(2026, 3, 7)}, date(2026, 3, 7), False, True),      # a worked Saturday
    (set(), {date(2026, 2, 17)}, date(2026, 2, 17), False, True),    # a holiday worked anyway
    ({date(2025, 4, 26)}, set(), date(2025, 4, 26), True, False),    # a swap day cancelled
    ({date(2026, 3, 9)}, set(), date(2026, 3, 10), True, True),      # other days unaffected
])
def test_overrides_change_a_day(extra_off, extra_working, day, default, overridden):
    assert CAL.is_working_day(day) is default
    assert WorkingCalendar(extra_off, extra_working).is_working_day(day) is overridden


# --- add and between ----------------------------------------------------------------

def test_add_60_working_days_across_tet_2026():
    # From Monday 5 Jan 2026 (not counted): 4 days to Fri 9 Jan, then five full weeks to
    # Fri 13 Feb make 29; the Tết week (16–20 Feb) counts nothing; six full weeks to Fri
    # 3 Apr make 59; the 60th working day is Monday 6 April 2026.
    assert CAL.add(date(2026, 1, 5), 60) == date(2026, 4, 6)


@pytest.mark.parametrize("extra_off, extra_working, expected", [
    (set(), set(), date(2026, 4, 6)),
    ({date(2026, 3, 2)}, set(), date(2026, 4, 7)),            # one more day off: one later
    (set(), {date(2026, 2, 21)}, date(2026, 4, 3)),           # one more working day: earlier
    ({date(2026, 4, 4)}, set(), date(2026, 4, 6)),            # a Saturday off changes nothing
])
def test_overrides_move_the_result_of_add(extra_off, extra_working, expected):
    assert WorkingCalendar(extra_off, extra_working).add(date(2026, 1, 5), 60) == expected


def test_add_zero_and_start_not_counted():
    assert CAL.add(date(2026, 3, 6), 0) == date(2026, 3, 6)
    assert CAL.add(date(2026, 3, 6), 1) == date(2026, 3, 9)       # Friday + 1 = Monday
    assert CAL.add(date(2026, 3, 7), 1) == date(2026, 3, 9)       # from a Saturday too
    assert CAL.add(date(2025, 4, 25), 1) == date(2025, 4, 26)     # the swapped Saturday
    assert CAL.add(date(2025, 4, 29), 1) == date(2025, 5, 5)      # 30/4, 1/5 and 2/5 off


@pytest.mark.parametrize("start", [date(2026, 1, 5), date(2025, 4, 20), date(2026, 2, 14),
                                   date(2025, 12, 31)])
@pytest.mark.parametrize("n", [1, 5, 30, 60, 90])
def test_between_is_consistent_with_add(start, n):
    end = CAL.add(start, n)
    assert CAL.is_working_day(end)
    assert CAL.between(start, end) == n
    assert CAL.between(start, end - timedelta(days=1)) == n - 1
    assert CAL.between(end, start) == -n


def test_between_counts_half_open_interval():
    assert CAL.between(date(2026, 3, 6), date(2026, 3, 6)) == 0
    assert CAL.between(date(2026, 3, 6), date(2026, 3, 9)) == 1      # (Fri, Mon]
    assert CAL.between(date(2026, 2, 13), date(2026, 2, 24)) == 2    # Tết skipped
    assert CAL.between(date(2025, 4, 25), date(2025, 5, 5)) == 4     # 26/4, 28/4, 29/4, 5/5
    assert CAL.between(date(2025, 4, 25), date(2025, 5, 5)) == sum(
        CAL.is_working_day(d) for d in days(date(2025, 4, 26), date(2025, 5, 5)))


# --- months --------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),     # leap year
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),    # over the year's end
    (date(2021, 6, 15), 60, date(2026, 6, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 1, 15), -13, date(2024, 12, 15)),
    (date(2026, 5, 10), 0, date(2026, 5, 10)),
])
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize("start, end, expected", [
    (date(2008, 3, 16), date(2026, 3, 16), 216),     # exactly 18 years
    (date(2008, 3, 17), date(2026, 3, 16), 215),     # one day short
    (date(1966, 2, 16), date(2026, 3, 16), 721),     # 60 years and 1 month
    (date(1966, 2, 17), date(2026, 3, 16), 720),     # one day short of it
    (date(2026, 1, 31), date(2026, 2, 28), 1),       # a clamped month is a whole month
    (date(2026, 1, 31), date(2026, 2, 27), 0),
    (date(2026, 3, 31), date(2026, 4, 30), 1),
    (date(2026, 3, 31), date(2026, 4, 29), 0),
    (date(2026, 5, 10), date(2026, 5, 10), 0),
    (date(2025, 12, 20), date(2026, 1, 19), 0),
    (date(2025, 12, 20), date(2026, 1, 20), 1),
])
def test_months_between_counts_whole_months(start, end, expected):
    assert months_between(start, end) == expected


@pytest.mark.parametrize("start", [date(2000, 1, 31), date(2004, 2, 29), date(1990, 5, 17)])
@pytest.mark.parametrize("months", [1, 11, 216, 720])
def test_months_between_inverts_add_months(start, months):
    end = add_months(start, months)
    assert months_between(start, end) == months
    assert months_between(start, end - timedelta(days=1)) == months - 1


# --- administrator overrides from the database ----------------------------------------

def test_load_calendar_reads_overrides(db):
    db.session.add_all([
        HolidayOverride(day=date(2026, 3, 9), day_off=True, note="provincial holiday"),
        HolidayOverride(day=date(2026, 2, 21), day_off=False, note="worked Saturday"),
    ])
    db.session.flush()
    cal = load_calendar()
    assert cal.extra_off == {date(2026, 3, 9)}
    assert cal.extra_working == {date(2026, 2, 21)}
    assert not cal.is_working_day(date(2026, 3, 9))
    assert cal.is_working_day(date(2026, 2, 21))
    # The 30th working day after 5 Jan is the worked Saturday instead of Mon 23 Feb; the
    # day gained in February and the day lost in March leave the 60th unchanged.
    assert CAL.add(date(2026, 1, 5), 30) == date(2026, 2, 23)
    assert cal.add(date(2026, 1, 5), 30) == date(2026, 2, 21)
    assert cal.add(date(2026, 1, 5), 60) == date(2026, 4, 6)
    assert (CAL.add(date(2026, 1, 5), 40), cal.add(date(2026, 1, 5), 40)) == (
        date(2026, 3, 9), date(2026, 3, 6))


def test_load_calendar_without_overrides(db):
    cal = load_calendar()
    assert cal.extra_off == set() and cal.extra_working == set()
    assert cal.add(date(2026, 1, 5), 60) == date(2026, 4, 6)
