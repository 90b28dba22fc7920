"""The outcome of a step before it is saved, in words: "5/9 in favour, below 2/3 (6 needed):
the cell does not propose admission; the case will close".

A step whose figures decide where the case goes (every vote, a class result) and a step that
closes a case are shown to the user this way and saved only once confirmed. The outcome
comes from running the step for real inside a savepoint that is then rolled back, so the
preview and the saved step cannot disagree, and every guard speaks before the confirmation.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Case
from ..workflow import stepdata as sd
from ..workflow.guards import meets
from ..workflow.rulesets import rule_set_on
from ..workflow.states import FINAL, label
from ..workflow.transitions import BY_TRIGGER
from .transitions import step_day

# trigger -> (prefix of its vote's fields, the rule-set threshold that judges it)
VOTES = {
    "submit": ("", "union_vote"),
    "cell_approve": ("", "cell_vote"),
    "cell_reject": ("", "cell_vote"),
    "committee_approve": ("", "committee_vote"),
    "committee_reject": ("", "committee_vote"),
    "committee_admit": ("", "committee_vote"),
    "open_recognition": ("", "cell_vote"),
    "recognition_committee_approve": ("", "committee_vote"),
    "propose_removal": ("", "cell_vote"),
    "record_undecided": ("", "cell_vote"),
    "decline": ("standing_", "standing_committee_vote"),
    "recognise": ("committee_", "committee_vote"),
    "remove": ("committee_", "committee_vote"),
}
CLASS_RESULTS = frozenset({"pass_class", "fail_class"})
VERDICTS = {
    "submit": _l("the union executive committee introduces the member to the Party"),
    "cell_approve": _l("the cell proposes admission"),
    "cell_reject": _l("the cell does not propose admission"),
    "committee_approve": _l("the grassroots committee agrees to propose admission"),
    "committee_reject": _l("the grassroots committee does not agree to propose admission"),
    "committee_admit": _l("the authorised grassroots committee admits the candidate"),
    "decline": _l("the competent body does not admit the candidate"),
    "open_recognition": _l("the cell proposes recognition as an official member"),
    "recognition_committee_approve": _l("the grassroots committee agrees to propose "
                                        "recognition as an official member"),
    "propose_removal": _l("the cell proposes removal from the list of probationary members"),
    "record_undecided": _l("the cell's vote reaches neither recognition nor removal"),
    "recognise": _l("recognised as an official member"),
    "remove": _l("removed from the list of probationary members"),
    "record_death": _l("the candidate has died"),
    "record_leaving": _l("left without a transfer"),
    "record_resignation": _l("stopped at the member's own request"),
    "remove_for_discipline": _l("removed for a breach of discipline"),
    "fail_class": _l("did not pass the awareness class"),
}


def needs_confirmation(trigger: str) -> bool:
    """Steps decided by figures, and steps that can close a case, are confirmed first."""
    return (trigger in VOTES or trigger in CLASS_RESULTS
            or any(t.dest in FINAL for t in BY_TRIGGER[trigger]))


@dataclass(frozen=True)
class Outcome:
    trigger: str
    dest: str
    text: str
    token: str

    @property
    def closes(self) -> bool:
        return self.dest in FINAL


def token(values: Mapping) -> str:
    """A fingerprint of what the form read (not of the raw text, which the page shows back in
    its own format): a confirmation counts only for the figures shown."""
    shown = {k: v for k, v in values.items()
             if not k.endswith(("csrf_token", "confirm", "confirm_close"))}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:24]


def dry_run(run: Callable[[], Case]) -> str:
    """Run a step (or a correction and its step) inside a savepoint, roll it back and return
    the state the case would reach. A WorkflowError raised by a guard propagates."""
    savepoint = db.session.begin_nested()
    try:
        return run().state
    finally:
        savepoint.rollback()


def vote_summary(data: dict, prefix: str, threshold: str, day) -> str | None:
    if data.get(prefix + "votes_for") in (None, "") or data.get(prefix + "eligible") in (None, ""):
        return None
    f = sd.count(data, prefix + "votes_for", _l("Votes for"))
    e = sd.count(data, prefix + "eligible", _l("Members entitled to vote"))
    rule = rule_set_on(day)[threshold]
    need = next((k for k in range(e + 1) if meets(k, e, rule)), e + 1)
    ratio = (_l("more than %(num)d/%(den)d", num=rule["num"], den=rule["den"]) if rule["strict"]
             else _l("%(num)d/%(den)d", num=rule["num"], den=rule["den"]))
    if meets(f, e, rule):
        return str(_l("%(f)d/%(e)d in favour, reaching %(ratio)s (%(need)d needed)",
                      f=f, e=e, ratio=ratio, need=need))
    return str(_l("%(f)d/%(e)d in favour, below %(ratio)s (%(need)d needed)",
                  f=f, e=e, ratio=ratio, need=need))


def describe(trigger: str, data: dict, dest: str, day) -> str:
    """The outcome in one sentence: the vote, what the body decides, where the case goes."""
    prefix, threshold = VOTES.get(trigger, ("", None))
    vote = vote_summary(data, prefix, threshold, step_day(trigger, data) or day) \
        if threshold else None
    if trigger == "pass_class":
        verdict = _l("passed the awareness class, certificate %(no)s",
                     no=data.get("certificate_no", ""))
    else:
        verdict = VERDICTS.get(trigger, BY_TRIGGER[trigger][0].label)
    where = (_l("the case will close (%(state)s)", state=label(dest)) if dest in FINAL
             else _l("the case moves to the step: %(state)s", state=label(dest)))
    said = f"{vote}: {verdict}" if vote else str(verdict)
    return f"{said[:1].upper()}{said[1:]}; {where}."


def preview(trigger: str, data: dict, values: Mapping, day, run: Callable[[], Case]) -> Outcome:
    """``trigger`` is the step that will fire (for a meeting, the one its vote decides)."""
    dest = dry_run(run)
    return Outcome(trigger, dest, describe(trigger, data, dest, day), token(values))
