"""The one shared pytransitions machine, built once per process from the table.

A request attaches a case with ``attached(case)`` and the case is detached in
``finally``; list pages never attach rows, they read ``transitions.triggers_from``.
"""
from __future__ import annotations

from contextlib import contextmanager

from transitions.extensions import LockedMachine

from .states import ORDER
from .transitions import TRANSITIONS


def _condition(guard):
    def check(event) -> bool:
        guard(event.kwargs["ctx"])      # raises with the failed fact
        return True
    return check


def _routing(test):
    return lambda event: bool(test(event.kwargs["ctx"].case))


def _before(effect):
    return lambda event: effect(event.kwargs["ctx"])


def _build() -> LockedMachine:
    rows = []
    for t in TRANSITIONS:
        conditions = ([_routing(t.route)] if t.route else []) + [_condition(g) for g in t.guards]
        rows.append({
            "trigger": t.trigger, "source": list(t.source), "dest": t.dest,
            "conditions": conditions, "unless": [_routing(t.unless)] if t.unless else [],
            "before": [_before(t.effect)],
        })
    return LockedMachine(model=None, states=ORDER, transitions=rows, initial=None,
                         auto_transitions=False, send_event=True, ignore_invalid_triggers=False)


MACHINE = _build()


@contextmanager
def attached(case):
    before = set(vars(case))
    MACHINE.add_model(case, initial=case.state)
    try:
        yield case
    finally:
        MACHINE.remove_model(case)
        # remove_model leaves the trigger methods it bound on the instance; drop them so
        # the next attach binds afresh.
        for name in set(vars(case)) - before:
            if callable(vars(case)[name]):
                delattr(case, name)
