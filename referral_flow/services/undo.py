"""What a step wrote, kept in its audit event so that a correction can take it back.

``recording(case)`` wraps the one flush of a step (``fire``) and returns, as JSON:

* ``case``: the case's columns the step changed, with their values before it;
* ``changed``: other rows the step changed (an enrolment's result), with their old values;
* ``created``: the rows the step added (votes, documents, helpers, enrolments, roster rows);
* ``removed``: the rows it took out (helpers replaced), with their values.

``take_back(undo, ...)`` restores the case and those rows. Nothing is erased from the
record: votes are voided and documents withdrawn (with the reason), so the dossier still
shows them; only working rows that are not records (a helper assignment, a class
enrolment, a roster row the step added) are removed, and the audit trail keeps both the
step and its correction.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Enum, event, inspect
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Case, CaseHelper, Document, Enrolment, Organisation, PartyMember, Vote
from .audit import json_safe

# The rows a step may write, by table name (a cell's roster and its count of official
# members follow the ceremony, the recognition and a removal).
MODELS = {m.__tablename__: m for m in (Case, Vote, Document, CaseHelper, Enrolment,
                                       PartyMember, Organisation)}
NOT_RESTORED = frozenset({"id", "version", "created_at"})


@dataclass
class Undo:
    case: dict = field(default_factory=dict)
    changed: list = field(default_factory=list)
    created: list = field(default_factory=list)
    removed: list = field(default_factory=list)

    def as_json(self) -> dict:
        return json_safe({"case": self.case, "changed": self.changed, "created": self.created,
                          "removed": self.removed})


def _columns(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs
            if attr.key not in NOT_RESTORED}


def _old_values(obj) -> dict:
    state, old = inspect(obj), {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key not in NOT_RESTORED and history.has_changes():
            old[attr.key] = history.deleted[0] if history.deleted else None
    return old


@contextmanager
def recording(case: Case):
    """Record what ``case``'s step writes between entering the block (before its effects
    run) and the flush at its end."""
    undo = Undo()
    before = _columns(case)
    session: Session = db.session()

    def before_flush(_sess, _context, _instances):
        for rel in inspect(case).mapper.relationships:
            if rel.cascade.delete_orphan:
                for gone in inspect(case).attrs[rel.key].history.deleted:
                    if inspect(gone).persistent:
                        undo.removed.append({"table": gone.__tablename__,
                                             "values": _columns(gone)})

    def after_flush(sess, _context):
        for obj in sess.new:
            if obj.__tablename__ in MODELS:
                undo.created.append({"table": obj.__tablename__, "id": obj.id})
        for obj in sess.dirty:
            if obj is not case and obj.__tablename__ in MODELS:
                old = _old_values(obj)
                if old:
                    undo.changed.append({"table": obj.__tablename__, "id": obj.id, "old": old})

    event.listen(session, "before_flush", before_flush)
    event.listen(session, "after_flush", after_flush)
    try:
        yield undo
    finally:
        event.remove(session, "before_flush", before_flush)
        event.remove(session, "after_flush", after_flush)
    after = _columns(case)
    undo.case = {key: value for key, value in before.items() if after[key] != value}


def _typed(model, key: str, value):
    """A JSON value back into the column's Python type."""
    column_type = inspect(model).columns[key].type
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return column_type.enum_class(value)
    return value


def _restore(obj, values: dict) -> None:
    for key, value in values.items():
        setattr(obj, key, _typed(type(obj), key, value))


def take_back(undo: dict, case: Case, *, on: date, reason: str, actor_id: int | None) -> None:
    """Restore ``case`` and the rows its step wrote to what they were before the step."""
    _restore(case, undo["case"])
    for row in undo["changed"]:
        obj = db.session.get(MODELS[row["table"]], row["id"])
        if obj is not None:
            _restore(obj, row["old"])
    for row in undo["created"]:
        obj = db.session.get(MODELS[row["table"]], row["id"])
        if isinstance(obj, Vote):
            obj.voided_on = on
        elif isinstance(obj, Document):
            obj.withdrawn_on, obj.withdrawn_reason, obj.withdrawn_by_id = on, reason, actor_id
        elif obj is not None:
            if isinstance(obj, CaseHelper) and obj in case.helpers:
                case.helpers.remove(obj)
            db.session.delete(obj)
    for row in undo["removed"]:
        model = MODELS[row["table"]]
        restored = model(**{k: _typed(model, k, v) for k, v in row["values"].items()})
        db.session.add(restored)
