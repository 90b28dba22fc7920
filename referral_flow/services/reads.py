"""The read log: which staff user saw which people, on which page, when.

One ``read_event`` per page view and one ``read_subject`` row per person shown, written in
two statements whatever the number of rows (the subjects in one executemany). No lock is
taken, unlike the audit chain (see models/reads.py). The auditor's questions ("who saw this
member's record", "what did this user see") are answered by ``search``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, insert, or_, select

from .. import clock
from ..database import begin_writing
from ..extensions import db
from ..models import Member, PartyMember, ReadEvent, ReadSubject, User
from ..models.reads import MEMBER, PARTY_MEMBER
from ..text import fold


def record(*, actor_id: int, endpoint: str, filters: dict, rows: int,
           members: Iterable[int] = (), party_members: Iterable[int] = ()) -> int:
    """Log one page view that showed ``members`` and ``party_members`` (ids, repeats
    allowed); the new event's id. Flushes nothing else and never commits (but during a GET
    it first ends the read snapshot: ``database.begin_writing``)."""
    begin_writing()
    event_id = db.session.execute(insert(ReadEvent).values(
        at=clock.now(), actor_id=actor_id, endpoint=endpoint[:60], filters=filters,
        rows=rows).returning(ReadEvent.id)).scalar_one()
    subjects = [{"kind": kind, "subject_id": i, "read_event_id": event_id}
                for kind, ids in ((MEMBER, members), (PARTY_MEMBER, party_members))
                for i in dict.fromkeys(i for i in ids if i is not None)]
    if subjects:
        db.session.execute(insert(ReadSubject), subjects)
    return event_id


# --- the auditor's search ----------------------------------------------------------------

@dataclass(frozen=True)
class ReadQuery:
    """What the auditor asked: a person (citizen ID, or part of a name), a user (username
    or part of a name), days in Vietnam's calendar (inclusive)."""
    person: str = ""
    user: str = ""
    since: date | None = None
    until: date | None = None


def people_matching(text: str) -> tuple[Select, Select]:
    """(member ids, Party-member ids) that ``text`` names: a union member by citizen ID
    (exact) or name (diacritics folded), a person on a cell's roster by name or as the
    union member he was admitted from."""
    digits = text.replace(" ", "")
    if digits.isascii() and digits.isdigit():
        members = select(Member.id).where(Member.citizen_id == digits)
        party = select(PartyMember.id).where(PartyMember.member_id.in_(members))
    else:
        key = fold(text)
        members = select(Member.id).where(Member.search_key.contains(key, autoescape=True))
        party = select(PartyMember.id).where(or_(
            PartyMember.search_key.contains(key, autoescape=True),
            PartyMember.member_id.in_(members)))
    return members, party


def _shows(members: Select, party: Select):
    return or_(*[exists().where(ReadSubject.read_event_id == ReadEvent.id,
                                ReadSubject.kind == kind, ReadSubject.subject_id.in_(ids))
                 for kind, ids in ((MEMBER, members), (PARTY_MEMBER, party))])


def _instant(day: date) -> datetime:
    """The first instant of ``day`` in Vietnam, in UTC (as ``at`` is stored: SQLite keeps
    the UTC wall time without its zone)."""
    return datetime.combine(day, time.min, tzinfo=clock.zone()).astimezone(UTC)


def search(query: ReadQuery) -> Select:
    """The read events that answer ``query``, newest first (select of ReadEvent)."""
    stmt = select(ReadEvent)
    if query.person:
        stmt = stmt.where(_shows(*people_matching(query.person)))
    if query.user:
        needle = query.user.lower()
        stmt = stmt.where(ReadEvent.actor_id.in_(select(User.id).where(or_(
            func.lower(User.username) == needle,
            func.lower(User.full_name).contains(needle, autoescape=True)))))
    if query.since:
        stmt = stmt.where(ReadEvent.at >= _instant(query.since))
    if query.until:
        stmt = stmt.where(ReadEvent.at < _instant(query.until + timedelta(days=1)))
    return stmt.order_by(ReadEvent.id.desc())


@dataclass(frozen=True)
class Seen:
    """A person a read event showed, as the auditor's screen names him."""
    read_event_id: int
    kind: str
    subject_id: int
    name: str
    citizen_id: str


def seen_in(event_ids: list[int], person: str) -> list[Seen]:
    """Of the events ``event_ids``, the people matching ``person`` that each one showed
    (two statements whatever the number of events)."""
    if not event_ids or not person:
        return []
    members, party = people_matching(person)
    out = [Seen(e, MEMBER, i, name, cid) for e, i, name, cid in db.session.execute(
        select(ReadSubject.read_event_id, Member.id, Member.full_name, Member.citizen_id)
        .join(Member, Member.id == ReadSubject.subject_id)
        .where(ReadSubject.kind == MEMBER, ReadSubject.read_event_id.in_(event_ids),
               Member.id.in_(members)))]
    out += [Seen(e, PARTY_MEMBER, i, name, "") for e, i, name in db.session.execute(
        select(ReadSubject.read_event_id, PartyMember.id, PartyMember.full_name)
        .join(PartyMember, PartyMember.id == ReadSubject.subject_id)
        .where(ReadSubject.kind == PARTY_MEMBER, ReadSubject.read_event_id.in_(event_ids),
               PartyMember.id.in_(party)))]
    return out
