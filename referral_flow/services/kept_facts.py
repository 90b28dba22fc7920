"""Figures kept as cases change: per-case facts and their sums per organisation node.

A kind of kept figures (``Kept``) is a rule, ``compute``, that says what facts a case
contributes (rows of its fact table), and ``adds``, the tally rows each fact adds one to.
Everything else is shared:

* ``refresh(conn, case_ids)`` recomputes those cases' facts and moves the sums by the
  difference (a case whose facts did not change costs the reads only);
* the session hooks (``install``) note, at every flush, what changed (``CHANGES``) and,
  just before the transaction commits, refresh each kind's facts of the cases concerned by
  the changes it ``watches``, so the sums move in the same transaction as the step;
* ``rebuild`` recomputes everything (after a migration or a bulk load); ``differences``
  compares what is kept with a recomputation (``flask tallies check``).

Bulk SQL that bypasses the ORM (the synthetic generator's COPY) calls ``count_new``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, event, inspect, or_, select, text

from ..extensions import db
from ..models import (AuditEvent, Case, CaseMove, Enrolment, HolidayOverride, Member,
                      Organisation)
from ..models.bulk import insert_rows
from .tallies import NODE, ancestors

BATCH = 2000


@dataclass(frozen=True)
class Kept:
    fact: type                  # the fact model: one row per (case_id, *key)
    key: tuple[str, ...]        # the fact's key columns after case_id
    values: tuple[str, ...]     # its other columns
    tally: type                 # the sums' model: dims + n
    dims: tuple[str, ...]
    compute: Callable[[Connection, list[int]], dict[tuple, tuple]]
    adds: Callable[[tuple, tuple], Iterable[tuple]]     # (key, values) -> tally keys
    # ``adds`` as SQL: (dims..., n) of the facts ``f`` matching {where}, with {ancestors}
    # (the join of each fact to the ids of its path, as ``a``) and {node} (a's id column).
    # Bulk loads and checks sum with it; tests hold it equal to ``adds``.
    sums_sql: str
    # What its facts read, of CHANGES: a change elsewhere leaves them as they are.
    watches: frozenset[str]

    def stored(self, conn: Connection, ids: list[int]) -> dict[tuple, tuple]:
        keys = [self.fact.case_id] + [getattr(self.fact, k) for k in self.key]
        values = [getattr(self.fact, v) for v in self.values]
        width = len(keys)
        return {tuple(r[:width]): tuple(r[width:])
                for r in conn.execute(select(*keys, *values)
                                      .where(self.fact.case_id.in_(ids)))}

    def rows(self, facts: dict[tuple, tuple]) -> list[dict]:
        names = ("case_id", *self.key, *self.values)
        return [dict(zip(names, key + values, strict=True)) for key, values in facts.items()]

    def sums(self, facts: dict[tuple, tuple], sign: int, into: Counter) -> None:
        for key, values in facts.items():
            for dims in self.adds(key, values):
                into[dims] += sign

    def fresh_sums(self, conn: Connection, where: str = "true") -> str:
        dialect = conn.dialect.name
        return self.sums_sql.format(ancestors=ancestors(dialect, "f.path"), node=NODE[dialect],
                                    where=where)

    def add_sums(self, conn: Connection, where: str, params: dict) -> None:
        """Add the sums of the facts matching ``where`` (on ``f``), set-based."""
        table, dims = self.tally.__tablename__, ", ".join(self.dims)
        conn.execute(text(
            f"INSERT INTO {table} ({dims}, n) SELECT * FROM ({self.fresh_sums(conn, where)})"
            f" AS t WHERE true ON CONFLICT ({dims}) DO UPDATE SET n = {table}.n + excluded.n"),
            params)

    def upsert(self, conn: Connection, delta: Counter) -> None:
        """Add ``delta`` to the sums, in key order (two transactions touching the same rows
        take their locks in one order)."""
        rows = [dict(zip(self.dims, key, strict=True), n=n)
                for key, n in sorted(delta.items()) if n]
        if not rows:
            return
        table, dims = self.tally.__tablename__, ", ".join(self.dims)
        conn.execute(text(
            f"INSERT INTO {table} ({dims}, n) VALUES "
            f"({', '.join(':' + d for d in self.dims)}, :n) "
            f"ON CONFLICT ({dims}) DO UPDATE SET n = {table}.n + excluded.n"), rows)


KINDS: list[Kept] = []


def register(kind: Kept) -> Kept:
    KINDS.append(kind)
    return kind


def kinds() -> list[Kept]:
    from . import cohort_tallies, period_tallies  # noqa: F401  (each registers its kind)
    return KINDS


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        yield ordered[start:start + BATCH]


def refresh(conn: Connection, case_ids: Iterable[int], only: list[Kept] | None = None) -> None:
    """Recompute the facts of ``case_ids`` (of every kind, or of ``only``) and move the sums
    by what changed."""
    for ids in _batches(case_ids):
        for kind in kinds() if only is None else only:
            old, new = kind.stored(conn, ids), kind.compute(conn, ids)
            if old == new:
                continue
            moved = ({key[0] for key in old.keys() ^ new.keys()}
                     | {key[0] for key in old.keys() & new.keys() if old[key] != new[key]})
            delta: Counter = Counter()
            kind.sums({k: v for k, v in old.items() if k[0] in moved}, -1, delta)
            kind.sums({k: v for k, v in new.items() if k[0] in moved}, 1, delta)
            conn.execute(delete(kind.fact).where(kind.fact.case_id.in_(sorted(moved))))
            rows = kind.rows({k: v for k, v in new.items() if k[0] in moved})
            if rows:
                insert_rows(conn, kind.fact.__table__, rows)
            kind.upsert(conn, delta)


def count_new(conn: Connection, first: int) -> None:
    """Count the cases of id ``first`` and above, written in bulk past the session (the
    synthetic generator): their facts a batch of ids at a time, then the sums, set-based."""
    for kind in kinds():
        last = first - 1
        while ids := list(conn.scalars(select(Case.id).where(Case.id > last)
                                       .order_by(Case.id).limit(BATCH))):
            facts = kind.compute(conn, ids)
            if facts:
                insert_rows(conn, kind.fact.__table__, kind.rows(facts))
            last = ids[-1]
        kind.add_sums(conn, "f.case_id >= :first", {"first": first})


def _all_case_ids(conn: Connection, kind: Kept) -> list[int]:
    return list(conn.scalars(select(Case.id).union(select(kind.fact.case_id))))


def rebuild(conn: Connection) -> None:
    """Recompute every fact from the cases and every sum from the facts."""
    for kind in kinds():
        conn.execute(delete(kind.tally))
        conn.execute(delete(kind.fact))
    count_new(conn, 1)


def differences(conn: Connection) -> list[str]:
    """Every kept fact or sum that is not what a recomputation gives, described; empty
    when all agree."""
    out = []
    for kind in kinds():
        for ids in _batches(_all_case_ids(conn, kind)):
            kept, fresh = kind.stored(conn, ids), kind.compute(conn, ids)
            for key in sorted(set(kept) | set(fresh), key=repr):
                if kept.get(key) != fresh.get(key):
                    out.append(f"{kind.fact.__tablename__} case {' '.join(map(str, key))}: "
                               f"kept {kept.get(key)}, recomputed {fresh.get(key)}")
        columns = [kind.tally.__table__.c[d] for d in (*kind.dims, "n")]
        stored = {tuple(r[:-1]): r[-1] for r in conn.execute(
            select(*columns).where(kind.tally.n != 0))}
        sums = {tuple(r[:-1]): r[-1] for r in conn.execute(     # typed as the table's
            text(kind.fresh_sums(conn)).columns(*columns))}
        for key in sorted(set(stored) | set(sums), key=repr):
            if stored.get(key, 0) != sums.get(key, 0):
                out.append(f"{kind.tally.__tablename__} {' '.join(map(str, key))}: "
                           f"kept {stored.get(key, 0)}, recomputed {sums.get(key, 0)}")
    return out


# --- the session hooks -----------------------------------------------------------------

# What may change facts, by the name a kind ``watches``: a case's key dates, unit or member
# ("case"), an enrolment, a move, a step or correction in the trail ("event"), a member's
# worker flag, a unit's enterprise fields or place in the tree ("node"), a day of the
# working-day calendar. Noted at each flush as {change: ids (cases, members, nodes) or days}.
CHANGES = ("case", "enrolment", "move", "event", "member", "node", "calendar")
_NOTED = "kept_facts_changes"
_CASE_FIELDS = ("nominated_on", "decision_on", "union_unit_id", "member_id")
_NODE_FIELDS = ("enterprise_kind", "has_party_org", "parent_id", "path")


def _changed(obj, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _earlier(obj, field: str) -> tuple:
    """The values ``field`` of ``obj`` had before this flush."""
    return tuple(v for v in inspect(obj).attrs[field].history.deleted or () if v is not None)


def _seen(session, _context) -> None:
    """After each flush, while the objects' history is still there: note the changes."""
    noted = session.info.setdefault(_NOTED, {change: set() for change in CHANGES})
    for obj in (*session.new, *session.dirty, *session.deleted):
        dirty = obj in session.dirty
        if isinstance(obj, Case):
            if not dirty or _changed(obj, _CASE_FIELDS):
                noted["case"].add(obj.id)
        elif isinstance(obj, (Enrolment, CaseMove)):
            change = "enrolment" if isinstance(obj, Enrolment) else "move"
            noted[change].update((obj.case_id, *(_earlier(obj, "case_id") if dirty else ())))
        elif isinstance(obj, AuditEvent):
            if obj.case_id is not None and (obj.to_state or obj.corrects_id):
                noted["event"].add(obj.case_id)
        elif isinstance(obj, Member):
            if dirty and _changed(obj, ("direct_production",)):
                noted["member"].add(obj.id)
        elif isinstance(obj, Organisation):
            if dirty and _changed(obj, _NODE_FIELDS):
                noted["node"].add(obj.id)
        elif isinstance(obj, HolidayOverride):
            noted["calendar"].update((obj.day, *_earlier(obj, "day")))


def _cases_of(conn: Connection, change: str, ids: set) -> set:
    """The cases a noted change concerns: the cases of changed members, those placed (now or
    before a move) in the subtrees of changed nodes, those with a completed step around a
    changed calendar day; the ids themselves for the other changes."""
    if not ids or change not in ("member", "node", "calendar"):
        return ids - {None}
    if change == "member":
        return set(conn.scalars(select(Case.id).where(Case.member_id.in_(ids))))
    if change == "calendar":
        return set(conn.scalars(select(Case.id).where(or_(*(
            and_(Case.nominated_on <= day, Case.state_since >= day) for day in ids)))))
    paths = list(conn.scalars(select(Organisation.path).where(Organisation.id.in_(ids))))
    placed = or_(*(Organisation.path.startswith(p, autoescape=True) for p in paths))
    return (set(conn.scalars(select(Case.id).join(
        Organisation, Organisation.id == Case.union_unit_id).where(placed)))
        | set(conn.scalars(select(CaseMove.case_id).join(
            Organisation, Organisation.id == CaseMove.from_union_id).where(placed))))


def _before_commit(session) -> None:
    """Refresh the facts of each kind for the changes it watches, in the transaction."""
    session.flush()         # commit's own flush comes after this hook: see it now
    noted = session.info.pop(_NOTED, None)
    if not noted or not any(noted.values()):
        return
    conn = session.connection()
    cases = {change: _cases_of(conn, change, ids) for change, ids in noted.items()}
    for kind in kinds():
        ids = set().union(*(cases[change] for change in kind.watches))
        if ids:
            refresh(conn, ids, [kind])


def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)


def install() -> None:
    """Attach the hooks to the application's sessions (once)."""
    for name, hook in (("after_flush", _seen), ("before_commit", _before_commit),
                       ("after_transaction_end", _ended)):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
