"""The lookup of the rule set in force on a date.

The shipped sets (24-QĐ/TW, 232-QĐ/TW, 294-QĐ/TW) are data, seeded by the first
migration with the figures of PROCESS.md §3; 29-QĐ/TW (2016), for cases entered already
under way, by migration 0017 (its docstring says which figures the texts confirm). They
carry the same figures where the research found no change; they stay separate so that a
case is judged by the set of its step's date and a new set can be added without touching
the others.
"""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import RuleSet

REQUIRED_KEYS = frozenset({
    "union_vote", "cell_vote", "committee_vote", "standing_committee_vote",
    "min_cell_official_members",
    "decision_working_days", "decision_extension_working_days", "ceremony_working_days",
    "probation_months", "recognition_cell_working_days", "recognition_decision_working_days",
    "recognition_decision_extension_working_days", "certificate_validity_months",
    "document_validity_months", "min_age_months", "max_age_months", "introducer_min_months",
    "min_introducer_letters", "youth_route_enabled", "youth_route_max_age_years",
    "probation_transfer_working_days", "form_labels", "thcs_required",
    "readmission_min_months", "readmission_after_conviction_months",
    "introducers_without_union", "recognition_undecided_votes",
})
# Not a parameter: which parameters (True) or which of their entries (a list of keys) are
# still to confirm against the primary text; shown by `flask rules show` and the admin page.
TO_CONFIRM = "to_confirm"
# The stable keys of the forms: what documents, votes and the audit trail store (the
# numbering of the 12-HD/BTCTW (2022) forms as the project first read it). What a page shows
# is the rule set's ``form_labels`` entry: the sources number 12- to 16-KNĐ differently
# (reviews-2026-11 domain.md R21, M5).
FORM_KEYS = ("1-KNĐ", "2-KNĐ", "3-KNĐ", "4A-KNĐ", "5-KNĐ", "6-KNĐ", "8-KNĐ", "9-KNĐ",
             "10-KNĐ", "11-KNĐ", "12-KNĐ", "13-KNĐ", "15-KNĐ", "16-KNĐ")


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


def printed_code(key: str, rules: RuleSet | None) -> str:
    """The code printed on the form ``key`` under ``rules`` (the key itself when the set has
    no label for it, e.g. a set older than the labels, or without a set: forms 1- to 9-KNĐ,
    numbered alike in every source)."""
    return (rules.params.get("form_labels") or {}).get(key, key) if rules else key


def form_name(title, key: str, rules: RuleSet | None):
    """A form's name as shown (lazily translated): its title and its printed code under
    ``rules``."""
    code = printed_code(key, rules)
    if code == key and key not in FORM_KEYS:
        return title        # a paper without a KNĐ number (a certificate)
    return _l("%(title)s (%(code)s)", title=title, code=code)


def form_order(key: str) -> tuple:
    """Forms in the order of their numbers (1-, 2-, ..., 4A-, ..., 10-KNĐ), not as text."""
    number = re.match(r"\d*", key).group()
    return (int(number) if number else 0, key)


def unconfirmed(params: dict, key: str) -> bool | list[str]:
    """The "to confirm" mark of a parameter: True (its whole value), the entries marked (of
    a parameter by form), or False."""
    mark = (params.get(TO_CONFIRM) or {}).get(key, False)
    return sorted(mark, key=form_order) if isinstance(mark, list) else bool(mark)
