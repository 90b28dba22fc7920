"""The administrator's overrides of the working-day calendar (an extra day off, an extra
working day) on top of Vietnam's public holidays. Flushes, never commits; refusals raise
``Refused``."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import HolidayOverride
from ..workflow.calendar import WorkingCalendar
from . import audit
from .refused import Refused


def add_override(day: date, *, day_off: bool, note: str,
                 actor_id: int | None) -> HolidayOverride:
    """Make ``day`` a day off (``day_off``) or a working day; the day must be the other
    kind today and have no override yet."""
    if db.session.scalar(select(HolidayOverride.id).where(HolidayOverride.day == day)):
        raise Refused.on("day", _l("This day already has an override; remove it first."))
    working = WorkingCalendar().is_working_day(day)
    if day_off and not working:
        raise Refused.on("day", _l("This day is already a day off (weekend or public "
                                   "holiday)."))
    if not day_off and working:
        raise Refused.on("day", _l("This day is already a working day."))
    row = HolidayOverride(day=day, day_off=day_off, note=note or "")
    db.session.add(row)
    db.session.flush()
    audit.append(trigger="create", subject="holiday", actor_id=actor_id,
                 data={"holiday_id": row.id, "day": day, "day_off": day_off, "note": row.note})
    return row


def remove_override(row: HolidayOverride, *, actor_id: int | None) -> None:
    audit.append(trigger="remove", subject="holiday", actor_id=actor_id,
                 data={"holiday_id": row.id, "day": row.day, "day_off": row.day_off,
                       "note": row.note})
    db.session.delete(row)
    db.session.flush()
