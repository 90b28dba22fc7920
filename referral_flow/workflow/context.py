"""What guards and effects see while a transition fires."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..models import Case, RuleSet, User
from .calendar import WorkingCalendar


@dataclass
class StepContext:
    case: Case
    user: User | None
    data: dict
    on: date                    # the step's date: the rule set in force on it applies
    rules: RuleSet
    calendar: WorkingCalendar
    comment: str = ""
    parsed: dict = field(default_factory=dict)   # values read by guards, reused by effects
