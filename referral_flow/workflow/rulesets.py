"""The lookup of the rule set in force on a date.

The shipped sets (24-QĐ/TW, 232-QĐ/TW, 294-QĐ/TW) are data, seeded by the first
migration with the figures of PROCESS.md §3; 29-QĐ/TW (2016), for cases entered already
under way, by migration 0017 (its docstring says which figures the texts confirm). They
carry the same figures where the research found no change; they stay separate so that a
case is judged by the set of its step's date and a new set can be added without touching
the others.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import RuleSet

REQUIRED_KEYS = frozenset({
    "union_vote", "cell_vote", "committee_vote", "min_cell_official_members",
    "decision_working_days", "decision_extension_working_days", "ceremony_working_days",
    "probation_months", "recognition_cell_working_days", "recognition_decision_working_days",
    "recognition_decision_extension_working_days", "certificate_validity_months",
    "document_validity_months", "min_age_months", "max_age_months", "introducer_min_months",
    "min_introducer_letters", "youth_route_enabled", "youth_route_max_age_years",
    "probation_transfer_working_days", "recognition_undecided_votes",
})


class NoRuleSet(LookupError):
    pass


def rule_set_on(day: date) -> RuleSet:
    """The rule set in force on ``day`` (the latest that took effect on or before it)."""
    found = db.session.scalars(
        select(RuleSet).where(RuleSet.effective_from <= day)
        .order_by(RuleSet.effective_from.desc()).limit(1)
    ).first()
    if found is None:
        raise NoRuleSet(day)
    return found


def rule_book():
    """All rule sets in one query, as a ``rule_set_on``-like lookup for pages with many cases."""
    sets = db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from.desc())).all()

    def on(day: date) -> RuleSet:
        for rule_set in sets:
            if rule_set.effective_from <= day:
                return rule_set
        raise NoRuleSet(day)
    return on
