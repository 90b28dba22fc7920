"""What the candidate's page shows of his case: one road of dated steps, the documents he
still has to bring, and the deadline (or that there is none) with the expiries that matter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import AuditEvent, Case
from ..services.deadlines import Deadline, deadlines
from ..services.dossier import ChecklistRow
from ..workflow.calendar import load_calendar
from ..workflow.states import OPEN, ORDER, STATES
from ..workflow.steps import STEPS
from ..workflow.transitions import TRANSITIONS, spec

# The main road, for "what comes next" (side roads and ends have no next step).
MAIN_ROAD = [s.id for s in STEPS if s.main_road]
# Documents count for the cell's vote: their validity matters until the cell has voted.
VALIDITY_MATTERS_UNTIL = ORDER.index("cell_review")


@dataclass
class Stop:
    label: object
    on: date | None
    comment: str = ""            # only a comment marked for the candidate
    where: str = "done"          # done | current | ahead


def bypassed(case: Case) -> set[str]:
    """The steps the case's routing takes it past: the transition that bypasses a step is
    routed for this case (a grassroots cell's approval goes straight to the competent body;
    an authorised committee decides itself), and the case does not skip where it starts."""
    out: set[str] = set()
    for s in STEPS:
        if s.bypass and s.bypass[0] not in out and any(
                s.bypass[0] in t.source and t.dest == s.bypass[1] and t.route is not None
                and t.route(case) for t in TRANSITIONS):
            out.add(s.id)
    return out


def following(case: Case) -> list[str]:
    """The steps still ahead on the main road, without those its routing bypasses."""
    if case.state not in MAIN_ROAD[:-1]:
        return []
    skipped = bypassed(case)
    return [s for s in MAIN_ROAD[MAIN_ROAD.index(case.state) + 1:] if s not in skipped]


def road(case: Case, events: list[AuditEvent]) -> list[Stop]:
    """The steps taken, dated, in order (send-backs included), then the steps ahead."""
    stops = []
    for e in events:
        # A step that stays in its state (an extension) is named by what was done.
        label = spec(e.trigger).label if e.from_state == e.to_state else STATES[e.to_state]
        visible = e.comment if e.data.get("comment_visible") else ""
        stops.append(Stop(label, e.step_on or e.at.date(), visible))
    if stops:
        stops[-1].where = "current"
    return stops + [Stop(STATES[s], None, where="ahead") for s in following(case)]


def to_bring(case: Case, dossier: list) -> list[ChecklistRow]:
    """The documents of the dossier being prepared (``dossier``: its ``checklist``) that are
    missing, expired, expiring or not yet verified: one row per form, none for a form that
    has a good document."""
    if case.state not in OPEN:
        return []
    here = ORDER.index(case.state)
    rows = [row for stage, stage_rows in dossier
            if here <= max(ORDER.index(s) for s in stage.states) for row in stage_rows]
    good = {row.form_code for row in rows if row.status == "ok"}
    out: dict[str, ChecklistRow] = {}
    for row in rows:
        if row.form_code not in good:
            out.setdefault(row.form_code, row)
    return list(out.values())


def expiries(case: Case, dossier: list) -> list[ChecklistRow]:
    """Documents whose validity still matters (until the cell's vote), with their end."""
    if case.state not in OPEN or ORDER.index(case.state) > VALIDITY_MATTERS_UNTIL:
        return []
    return [row for _stage, rows in dossier for row in rows
            if row.document is not None and row.document.valid_until]


def due(case: Case, today: date) -> tuple[Deadline | None, Deadline | None]:
    """The deadline the case waits on now, if the step has one, and the end of probation
    while the candidate is on probation."""
    found = deadlines(case, load_calendar(), today) if case.state in OPEN else []
    active = next((d for d in found if d.active), None)
    probation = next((d for d in found if d.key == "probation"), None)
    return active, probation if case.state == "probation" else None
