"""Who may do what, where: ``can()`` and the organisation-scope query filters."""
from .permissions import actionable, allowed_triggers, can, work_triggers
from .scope import case_scope, scoped_cases, get_case_or_404

__all__ = ["actionable", "can", "allowed_triggers", "case_scope", "scoped_cases", "get_case_or_404",
           "work_triggers"]
