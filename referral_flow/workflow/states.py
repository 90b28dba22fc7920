"""The states' names and groups, derived from the step specification (``steps.py``). IDs
are stable; labels are translated."""
from .steps import STEPS

STATES = {s.id: s.label for s in STEPS}
ORDER = list(STATES)
FINAL = frozenset(s.id for s in STEPS if s.end)
OPEN = frozenset(ORDER) - FINAL
# Before the competent body's decision a case may still be withdrawn.
BEFORE_DECISION = tuple(s.id for s in STEPS if not (s.end or s.decided))
# After it, a case closes only by the endings recorded by the competent body or the cell.
DECIDED = tuple(s.id for s in STEPS if s.decided and not s.end)


def label(state: str) -> str:
    return str(STATES[state])
