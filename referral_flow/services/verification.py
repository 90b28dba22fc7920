"""Background verification as work (domain.md R12, §3 item 6) and the residence area's
opinion (R13): relatives added or corrected, requests sent and answered, the opinion asked
for and received. Who may record the dossier's documents records these, at the same steps;
each change is audited (the relatives' names stay out of the audit trail). Flushes, never
commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..models import (Answer, Case, CheckTopic, ExtraCheck, Relation, Relative,
                      ResidenceOpinion, User, VerificationRequest)
from ..workflow import stepdata as sd
from ..workflow.calendar import WorkingCalendar
from ..workflow.errors import InvalidStepData, NotAllowed, NotAvailable
from ..workflow.verification import TOPICS, Records, holding, records_of, relative_label
from . import audit
from .dossier import may_record, stage_of

NOTE_LIMIT = 2000
# The verification prepares the admission dossier: recorded where its 2-KNĐ is.
STAGE = stage_of("2-KNĐ")


def may_verify(user: User | None, case: Case) -> bool:
    return STAGE in may_record(user, case) if user is not None else False


def _allowed(case: Case, user: User | None, check_permission: bool) -> None:
    if case.state not in STAGE.states:
        raise NotAvailable(_l("The background verification is recorded while the dossier is "
                              "prepared."))
    if check_permission and not may_verify(user, case):
        raise NotAllowed(_l("You may not record the background verification of this case."))


def _audit(trigger: str, case: Case, user: User | None, data: dict) -> None:
    audit.append(trigger=trigger, subject="verification", actor_id=user.id if user else None,
                 case_id=case.id, data=data)


def _past_day(raw: dict, key: str, label, today: date, after: date | None = None,
              after_message=None) -> date:
    day = sd.day(raw, key, label)
    if day > today:
        raise InvalidStepData(_l("%(field)s cannot be in the future.", field=label))
    if after is not None and day < after:
        raise InvalidStepData(after_message)
    return day


def _choice(raw: dict, key: str, enum, label):
    value = str(raw.get(key) or "")
    try:
        return enum(value)
    except ValueError:
        raise InvalidStepData(_l("Choose the %(field)s.", field=label)) from None


def _relative_fields(raw: dict) -> dict:
    abroad = sd.flag(raw, "abroad")
    country = sd.text(raw, "country", _l("Country"), required=abroad, limit=80)
    return {"relation": _choice(raw, "relation", Relation, _l("relation")),
            "full_name": sd.text(raw, "full_name", _l("Full name"), limit=120),
            "abroad": abroad, "country": country if abroad else "",
            "exempt": sd.flag(raw, "exempt")}


def _relative_data(relative: Relative) -> dict:
    return {"relative_id": relative.id, "relation": relative.relation.value,
            "abroad": relative.abroad, "country": relative.country, "exempt": relative.exempt}


def add_relative(case: Case, user: User | None, raw: dict, today: date | None = None,
                 check_permission: bool = True) -> Relative:
    """A relative to verify (or exempt: a Party member who has fully declared)."""
    today = today or clock.today()
    _allowed(case, user, check_permission)
    relative = Relative(case_id=case.id, added_on=today, **_relative_fields(raw))
    db.session.add(relative)
    db.session.flush()
    _audit("add_relative", case, user, _relative_data(relative))
    return relative


def _row(model, case: Case, row_id: int):
    row = db.session.get(model, row_id) if 0 < row_id <= 2**31 - 1 else None
    if row is None or row.case_id != case.id:
        raise NotAvailable(_l("This record is not part of the case."))
    return row


def edit_relative(case: Case, relative_id: int, user: User | None, raw: dict,
                  check_permission: bool = True) -> Relative:
    _allowed(case, user, check_permission)
    relative = _row(Relative, case, relative_id)
    for name, value in _relative_fields(raw).items():
        setattr(relative, name, value)
    db.session.flush()
    _audit("edit_relative", case, user, _relative_data(relative))
    return relative


def add_check(case: Case, user: User | None, raw: dict, today: date | None = None,
              check_permission: bool = True) -> ExtraCheck:
    """A political-standard question that needs its own check (QĐ 58-QĐ/TW)."""
    today = today or clock.today()
    _allowed(case, user, check_permission)
    check = ExtraCheck(case_id=case.id, added_on=today,
                       topic=_choice(raw, "topic", CheckTopic, _l("question")),
                       note=sd.text(raw, "note", _l("Note"), required=False, limit=NOTE_LIMIT))
    db.session.add(check)
    db.session.flush()
    _audit("add_check", case, user, {"check_id": check.id, "topic": check.topic.value})
    return check


def _subject(case: Case, value: str) -> dict:
    """``relative:<id>`` or ``check:<id>``: who or what a request is about."""
    kind, _sep, number = str(value or "").partition(":")
    if kind not in ("relative", "check") or not (number.isascii() and number.isdigit()
                                                  and len(number) <= 9):
        raise InvalidStepData(_l("Choose whom or what the request is about."))
    if kind == "check":
        return {"check_id": _row(ExtraCheck, case, int(number)).id}
    relative = _row(Relative, case, int(number))
    if relative.exempt:
        raise InvalidStepData(_l("%(who)s is exempt from verification.",
                                 who=relative_label(relative)))
    return {"relative_id": relative.id}


def send_request(case: Case, user: User | None, raw: dict, today: date | None = None,
                 check_permission: bool = True) -> VerificationRequest:
    """A request sent to a committee or an agency (e.g. the overseas committee or an
    embassy for a relative abroad)."""
    today = today or clock.today()
    _allowed(case, user, check_permission)
    request = VerificationRequest(
        case_id=case.id, **_subject(case, raw.get("subject")),
        sent_to=sd.text(raw, "sent_to", _l("Sent to")),
        sent_on=_past_day(raw, "sent_on", _l("Date sent"), today))
    db.session.add(request)
    db.session.flush()
    _audit("send_verification", case, user,
           {"request_id": request.id, "relative_id": request.relative_id,
            "check_id": request.check_id, "sent_to": request.sent_to, "sent_on": request.sent_on})
    return request


def record_answer(case: Case, request_id: int, user: User | None, raw: dict,
                  today: date | None = None, check_permission: bool = True
                  ) -> VerificationRequest:
    today = today or clock.today()
    _allowed(case, user, check_permission)
    request = _row(VerificationRequest, case, request_id)
    if request.answered_on is not None:
        raise NotAvailable(_l("This request has already been answered."))
    answered_on = _past_day(raw, "answered_on", _l("Date answered"), today, request.sent_on,
                            _l("The answer cannot precede the request."))
    result = _choice(raw, "result", Answer, _l("result"))
    note = sd.text(raw, "note", _l("Note"), required=result == Answer.concerns,
                   limit=NOTE_LIMIT)
    request.answered_on, request.result, request.answer_note = answered_on, result, note
    db.session.flush()
    _audit("answer_verification", case, user,
           {"request_id": request.id, "answered_on": answered_on, "result": result.value})
    return request


def request_residence_opinion(case: Case, user: User | None, raw: dict,
                              today: date | None = None,
                              check_permission: bool = True) -> ResidenceOpinion:
    today = today or clock.today()
    _allowed(case, user, check_permission)
    opinion = ResidenceOpinion(
        case_id=case.id, residence_cell=sd.text(raw, "residence_cell", _l("Residence cell")),
        requested_on=_past_day(raw, "requested_on", _l("Date asked"), today))
    db.session.add(opinion)
    db.session.flush()
    _audit("request_residence_opinion", case, user,
           {"opinion_id": opinion.id, "residence_cell": opinion.residence_cell,
            "requested_on": opinion.requested_on})
    return opinion


def receive_residence_opinion(case: Case, opinion_id: int, user: User | None, raw: dict,
                              today: date | None = None,
                              check_permission: bool = True) -> ResidenceOpinion:
    today = today or clock.today()
    _allowed(case, user, check_permission)
    opinion = _row(ResidenceOpinion, case, opinion_id)
    if opinion.received_on is not None:
        raise NotAvailable(_l("This opinion has already been received."))
    opinion.received_on = _past_day(raw, "received_on", _l("Date received"), today,
                                    opinion.requested_on,
                                    _l("The opinion cannot be received before it was asked."))
    opinion.summary = sd.text(raw, "summary", _l("What it says"), limit=NOTE_LIMIT)
    db.session.flush()
    _audit("receive_residence_opinion", case, user,
           {"opinion_id": opinion.id, "received_on": opinion.received_on})
    return opinion


# --- what the case page shows -----------------------------------------------------------

@dataclass
class Waiting:
    """A request (or the residence opinion) and the working days it has waited: until its
    answer, or until today."""
    item: VerificationRequest | ResidenceOpinion
    waited: int


@dataclass
class Subject:
    """A relative or a check, its standing and its requests."""
    label: object
    status: str         # exempt | not_sent | awaiting | clear | concerns
    requests: list[Waiting]
    relative: Relative | None = None
    check: ExtraCheck | None = None

    @property
    def key(self) -> str:
        return f"relative:{self.relative.id}" if self.relative else f"check:{self.check.id}"


@dataclass
class Board:
    relatives: list[Subject]
    checks: list[Subject]
    opinions: list[Waiting]
    holding: list           # what still holds the case back from the cell (messages)


def _waited(calendar: WorkingCalendar, start: date, end: date | None, today: date) -> int:
    return max(calendar.between(start, end or today), 0)


def _standing(requests: list[VerificationRequest], exempt: bool = False) -> str:
    if exempt:
        return "exempt"
    answered = [r for r in requests if r.answered_on is not None]
    if answered:
        return answered[-1].result.value
    return "awaiting" if requests else "not_sent"


def board(case: Case, calendar: WorkingCalendar, today: date | None = None,
          records: Records | None = None) -> Board:
    today = today or clock.today()
    records = records or records_of(case)

    def waiting(requests):
        return [Waiting(r, _waited(calendar, r.sent_on, r.answered_on, today))
                for r in requests]

    relatives = [Subject(relative_label(r), _standing(records.requests_of(r), r.exempt),
                         waiting(records.requests_of(r)), relative=r)
                 for r in records.relatives]
    checks = [Subject(TOPICS[c.topic], _standing(records.requests_of(check=c)),
                      waiting(records.requests_of(check=c)), check=c)
              for c in records.checks]
    opinions = [Waiting(o, _waited(calendar, o.requested_on, o.received_on, today))
                for o in records.opinions]
    return Board(relatives, checks, opinions, holding(case, today, records))

