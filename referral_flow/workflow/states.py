"""Canonical states (PROCESS.md §2). IDs are stable; labels are translated."""
from flask_babel import lazy_gettext as _l

STATES = {
    "draft": _l("Draft referral"),
    "nominated": _l("Nominated by the union (4A-KNĐ)"),
    "accepted": _l("Accepted, helper assigned"),
    "in_class": _l("In the Party awareness class"),
    "certified": _l("Certificate obtained"),
    "dossier": _l("Completing the dossier"),
    "cell_review": _l("Cell review"),
    "committee_review": _l("Grassroots committee review"),
    "decision_pending": _l("Awaiting the competent body's decision"),
    "admitted": _l("Admission decided"),
    "probation": _l("Probationary member"),
    "recognition_review": _l("Recognition review"),
    "official": _l("Official member"),
    "rejected": _l("Not admitted"),
    "withdrawn": _l("Withdrawn"),
    "removed": _l("Removed from the probationary list"),
}

ORDER = list(STATES)
FINAL = frozenset({"official", "rejected", "withdrawn", "removed"})
OPEN = frozenset(ORDER) - FINAL
# Before the competent body's decision a case may still be withdrawn.
BEFORE_DECISION = (
    "draft", "nominated", "accepted", "in_class", "certified", "dossier", "cell_review",
    "committee_review", "decision_pending",
)


def label(state: str) -> str:
    return str(STATES[state])
