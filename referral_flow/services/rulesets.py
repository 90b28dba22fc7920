"""Dated rule sets: a new set takes effect on a later day, never today or in the past, so
that no case already judged changes rules. Flushes, never commits; refusals raise
``Refused``."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import RuleSet
from ..workflow.rulesets import NoRuleSet, rule_set_on
from . import audit
from .refused import Problems, Refused


def in_force(today: date) -> RuleSet | None:
    try:
        return rule_set_on(today)
    except NoRuleSet:
        return None


def basis(today: date) -> RuleSet | None:
    """The set a new one starts from: the one in force, else the latest."""
    return in_force(today) or db.session.scalars(
        select(RuleSet).order_by(RuleSet.effective_from.desc()).limit(1)).first()


def create_rule_set(*, code: str, title: str, effective_from: date, params: dict, note: str,
                    today: date, actor_id: int | None) -> RuleSet:
    problems = Problems()
    if effective_from <= today:
        problems.add("effective_from", _l("The date must be after today."))
    elif db.session.scalar(select(RuleSet.id).where(RuleSet.effective_from == effective_from)):
        problems.add("effective_from", _l("Another rule set takes effect on that day."))
    if db.session.scalar(select(RuleSet.id).where(RuleSet.code == code)):
        problems.add("code", _l("This code is already used."))
    problems.raise_any()
    based_on = basis(today)
    rule_set = RuleSet(code=code, title=title, effective_from=effective_from, params=params,
                       note=note or "")
    try:
        with db.session.begin_nested():
            db.session.add(rule_set)
            db.session.flush()
    except IntegrityError:      # a concurrent request took the code or the day
        raise Refused.on("code", _l("This code or date is already used.")) from None
    audit.append(trigger="create", subject="rule_set", actor_id=actor_id, rule_set=code,
                 data={"rule_set_id": rule_set.id, "code": code,
                       "effective_from": effective_from, "params": rule_set.params,
                       "based_on": based_on.code if based_on else None})
    return rule_set
