"""A meeting records one vote; the rule set in force on the meeting's date decides whether
it approves or refuses."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from .. import clock
from ..models import Case, User
from ..workflow import stepdata as sd
from ..workflow.guards import meets
from ..workflow.rulesets import rule_set_on
from .outcome import vote_summary
from .transitions import fire, step_day

# UI action -> (trigger on a pass, trigger on a failure, threshold parameter)
MEETINGS = {
    "cell_approve": ("cell_approve", "cell_reject", "cell_vote"),
    "committee_approve": ("committee_approve", "committee_reject", "committee_vote"),
    "committee_admit": ("committee_admit", "committee_reject", "committee_vote"),
}


def meeting_trigger(action: str, data: dict) -> str:
    """The trigger the meeting's vote decides: the approval when the votes for reach the
    threshold of the rule set in force on the meeting's date, else the refusal."""
    approve, refuse, threshold = MEETINGS[action]
    held_on = step_day(approve, data) or clock.today()
    votes_for = sd.count(data, "votes_for", _l("Votes for"))
    eligible = sd.count(data, "eligible", _l("Members entitled to vote"))
    return approve if meets(votes_for, eligible, rule_set_on(held_on)[threshold]) else refuse


def record_meeting(case: Case, action: str, user: User | None, *, expected_version: int,
                   data: dict, comment: str = "", today: date | None = None,
                   comment_visible: bool = False, check_permission: bool = True) -> Case:
    """Fire the approval or the refusal the vote decides (the guards re-check it); a
    refusal's reason starts with the vote's shortfall."""
    trigger = meeting_trigger(action, data)
    if trigger != MEETINGS[action][0]:
        held_on = step_day(trigger, data) or today or clock.today()
        shortfall = vote_summary(data, "", MEETINGS[action][2], held_on)
        comment = f"{shortfall}. {comment}".strip()
    return fire(case, trigger, user, expected_version=expected_version, data=data,
                comment=comment, today=today, comment_visible=comment_visible,
                check_permission=check_permission)
