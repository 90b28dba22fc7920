"""What holds a case back from the cell's meeting (domain.md R12, R13): the cell certifies
only after the background verification's results, so every relative not exempt and every
political-standard check needs an answered request, and the residence area's opinion must
be in. The applicant's own history stands verified on the 2-KNĐ (``Document.verified``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (Case, CheckTopic, ExtraCheck, Relation, Relative, ResidenceOpinion,
                      VerificationRequest)

RELATIONS = {
    Relation.parent: _l("Father or mother"),
    Relation.parent_in_law: _l("Father- or mother-in-law"),
    Relation.carer: _l("Carer who brought the candidate up"),
    Relation.spouse: _l("Spouse"),
    Relation.adult_child: _l("Adult child"),
}
TOPICS = {
    CheckTopic.religion: _l("Religious affiliation"),
    CheckTopic.abroad: _l("Relatives or ties abroad"),
    CheckTopic.other: _l("Another political-standard question (QĐ 58-QĐ/TW)"),
}


@dataclass
class Records:
    """A case's verification records, each kind in the order recorded."""
    relatives: list[Relative]
    checks: list[ExtraCheck]
    requests: list[VerificationRequest]
    opinions: list[ResidenceOpinion]

    def requests_of(self, relative: Relative | None = None,
                    check: ExtraCheck | None = None) -> list[VerificationRequest]:
        if relative is not None:
            return [r for r in self.requests if r.relative_id == relative.id]
        return [r for r in self.requests if check is not None and r.check_id == check.id]


def records_of(case: Case) -> Records:
    def rows(model):
        return list(db.session.scalars(select(model).where(model.case_id == case.id)
                                       .order_by(model.id)))
    return Records(rows(Relative), rows(ExtraCheck), rows(VerificationRequest),
                   rows(ResidenceOpinion))


def relative_label(relative: Relative):
    return _l("%(name)s (%(relation)s)", name=relative.full_name,
              relation=RELATIONS[relative.relation])


class Listed:
    """Messages joined by semicolons when shown, each in the reader's language."""

    def __init__(self, items: list):
        self.items = items

    def __str__(self) -> str:
        return "; ".join(str(m) for m in self.items)


def _awaited(who, requests: list[VerificationRequest], day: date):
    """Why ``who``'s verification is not done on ``day`` (None when an answer is in)."""
    if any(r.answered_by(day) for r in requests):
        return None
    if not requests:
        return _l("%(who)s: no verification request sent", who=who)
    last = requests[-1]
    return _l("%(who)s: the answer of %(to)s, asked on %(d)s, is awaited", who=who,
              to=last.sent_to, d=last.sent_on.strftime("%d/%m/%Y"))


def holding(case: Case, day: date, records: Records | None = None) -> list:
    """What the background verification still waits for on ``day``, one message a line."""
    records = records or records_of(case)
    out = []
    if not any(d.verified for d in case.documents_of("2-KNĐ")):
        out.append(_l("the applicant's own personal history (2-KNĐ) is not verified"))
    for relative in records.relatives:
        if not relative.exempt:
            out.append(_awaited(relative_label(relative), records.requests_of(relative), day))
    for check in records.checks:
        out.append(_awaited(TOPICS[check.topic], records.requests_of(check=check), day))
    opinions = records.opinions
    if not any(o.received_on is not None and o.received_on <= day for o in opinions):
        out.append(_l("the residence area's opinion has not been asked for") if not opinions
                   else _l("the residence area's opinion, asked of %(cell)s on %(d)s, is "
                           "awaited", cell=opinions[-1].residence_cell,
                           d=opinions[-1].requested_on.strftime("%d/%m/%Y")))
    return [m for m in out if m is not None]
