"""The auditor's screen (``/admin/reads``): who saw which member's record, when, on which
page; searched by member (citizen ID or name), by user and by dates. The search is itself
a read of personal data, and is logged like any other."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ReadEvent
from ..paging import pager
from ..read_log import log_page_read
from ..services import reads as svc
from ..models.reads import MEMBER, PARTY_MEMBER
from .forms import ReadSearch
from .routes import admin_required, bp

READS_PAGE = 50
# Counting a national log to the last row would take longer than the page: beyond this
# many matches the screen says "more than" and pages through those.
COUNT_CAP = 10_000

PAGES = {
    "members.index": _l("Union members: roster"),
    "members.edit": _l("Union members: a member's details"),
    "members.cases": _l("Union members: the unit's cases"),
    "cases.index": _l("Cases: list"),
    "cases.detail": _l("Cases: a case"),
    "cases.export": _l("Cases: export of the list"),
    "members.cases_export": _l("Union members: export of the unit's cases"),
    "reports.party_export": _l("Reports: export of the Party-side dashboard"),
    "classes.detail": _l("Awareness classes: a class"),
    "classes.enrol_page": _l("Awareness classes: enrolment"),
    "classes.skip": _l("Awareness classes: skipping the class"),
    "inbox.index": _l("My work"),
    "reports.party": _l("Reports: Party-side dashboard"),
    "party_members.roster": _l("Party members: a cell's roster"),
    "party_members.edit": _l("Party members: a member's details"),
    "admin.reads": _l("Administration: read log"),
}
KINDS = {MEMBER: _l("union member"), PARTY_MEMBER: _l("Party member")}


@bp.get("/reads")
@admin_required
def reads():
    form = ReadSearch(request.args)
    if not form.validate():
        return render_template("admin/reads.html", form=form, events=[], seen={}, total=0,
                               capped=False, paging=pager(0, READS_PAGE), pages=PAGES,
                               kinds=KINDS), 400
    query = svc.ReadQuery(form.person.data or "", form.user.data or "", form.since.data,
                          form.until.data)
    stmt = svc.search(query)
    total = db.session.scalar(select(func.count()).select_from(
        stmt.order_by(None).limit(COUNT_CAP + 1).subquery()))
    paging = pager(min(total, COUNT_CAP), READS_PAGE)
    events = db.session.scalars(paging.slice(stmt.options(joinedload(ReadEvent.actor)))).all()
    seen: dict[int, list[svc.Seen]] = {}
    for person in svc.seen_in([e.id for e in events], query.person):
        seen.setdefault(person.read_event_id, []).append(person)
    page = render_template(
        "admin/reads.html", form=form, events=events, seen=seen, total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP, paging=paging, pages=PAGES, kinds=KINDS,
        shown_args={k: v for k, v in request.args.items() if k in form and v})
    log_page_read(members=[p.subject_id for ps in seen.values() for p in ps
                           if p.kind == MEMBER],
                  party_members=[p.subject_id for ps in seen.values() for p in ps
                                 if p.kind == PARTY_MEMBER],
                  rows=len(events))
    return page
