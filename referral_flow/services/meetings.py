"""A meeting records one vote; the rule set in force decides whether it approves or refuses."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from .. import clock
from ..models import Case, User
from ..workflow import stepdata as sd
from ..workflow.guards import meets
from ..workflow.rulesets import rule_set_on
from .transitions import fire

# UI action -> (trigger on a pass, trigger on a failure, threshold parameter)
MEETINGS = {
    "cell_approve": ("cell_approve", "cell_reject", "cell_vote"),
    "committee_approve": ("committee_approve", "committee_reject", "committee_vote"),
}


def record_meeting(case: Case, action: str, user: User | None, *, expected_version: int,
                   data: dict, comment: str = "", on: date | None = None,
                   today: date | None = None, comment_visible: bool = False) -> Case:
    approve, refuse, threshold = MEETINGS[action]
    on = on or today or clock.today()
    votes_for = sd.count(data, "votes_for", _l("Votes for"))
    eligible = sd.count(data, "eligible", _l("Members entitled to vote"))
    if meets(votes_for, eligible, rule_set_on(on)[threshold]):  # the guards re-check it
        return fire(case, approve, user, expected_version=expected_version, data=data,
                    comment=comment, on=on, today=today, comment_visible=comment_visible)
    rule = rule_set_on(on)[threshold]
    reason = str(_l("The vote did not reach %(num)d/%(den)d: %(f)d for of %(e)d.",
                    num=rule["num"], den=rule["den"], f=votes_for, e=eligible))
    return fire(case, refuse, user, expected_version=expected_version, data=data,
                comment=f"{reason} {comment}".strip(), on=on, today=today,
                comment_visible=comment_visible)
