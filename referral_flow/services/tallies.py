"""The case tallies (models/tally.py): read a scope's counts per state, recompute them, move
them with a re-parented subtree.

The database's triggers keep ``case_tally`` as cases are written; this module holds the
same rule as one set-based query (``_CONTRIBUTIONS``), used to recompute every row
(``rebuild``), to compare the rows with a recomputation (``differences``, behind
``flask tallies check``) and to take a subtree's cases out and back in around a move of
paths (``moving``), which no trigger on ``referral_case`` sees.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import func, select, text

from .. import clock
from ..extensions import db
from ..models import Case, CaseTally, Organisation, Role, User
from ..models.tally import PARTY, UNION
from ..security.scope import PARTY_SIDE, UNION_SIDE

# The ids on a path (``/1/4/17/``: a node and its ancestors) in column ``{path}``, as a
# joined table ``a`` with the id in its column ``NODE``.
_ANCESTORS = {
    "postgresql": "CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from {path}), '/'))"
                  " AS a(id)",
    "sqlite": "JOIN json_each('[' || replace(trim({path}, '/'), '/', ',') || ']') AS a",
}
NODE = {"postgresql": "id", "sqlite": "value"}
# (side, node, state, cases) of the cases matching ``{where}`` (on ``c``).
_CONTRIBUTIONS = """
SELECT '{union}' AS side, CAST(a.{node} AS INTEGER) AS node_id, c.state AS state,
       count(*) AS n
FROM referral_case c JOIN organisation o ON o.id = c.union_unit_id {ancestors}
WHERE {where} GROUP BY CAST(a.{node} AS INTEGER), c.state
UNION ALL
SELECT '{party}', p.node_id, p.state, count(*) FROM (
    SELECT c.id AS case_id, CAST(a.{node} AS INTEGER) AS node_id, c.state AS state
    FROM referral_case c JOIN organisation o ON o.id = c.party_org_id {ancestors}
    WHERE {where}
    UNION
    SELECT c.id, CAST(a.{node} AS INTEGER), c.state
    FROM referral_case c JOIN organisation o ON o.id = c.host_cell_id {ancestors}
    WHERE {where}) AS p
GROUP BY p.node_id, p.state
"""


def ancestors(dialect: str, path: str) -> str:
    """The join that repeats each row once per id on the path in column ``path``."""
    return _ANCESTORS[dialect].format(path=path)


def _contributions(where: str) -> str:
    dialect = db.session.get_bind().dialect.name
    return _CONTRIBUTIONS.format(union=UNION, party=PARTY, where=where,
                                 ancestors=ancestors(dialect, "o.path"), node=NODE[dialect])


def _add(where: str, sign: int, params: dict) -> None:
    """Add (``sign`` 1) or take away (-1) what the matching cases count."""
    db.session.execute(text(
        f"INSERT INTO case_tally (side, node_id, state, n) "
        f"SELECT side, node_id, state, {int(sign)} * n FROM ({_contributions(where)}) AS t "
        f"WHERE true ON CONFLICT (side, node_id, state) "
        f"DO UPDATE SET n = case_tally.n + excluded.n"),
        params)


def rebuild() -> None:
    """Recompute every row from the cases (after a bulk load that bypassed nothing, this is
    what the triggers would have written). Flushes; never commits."""
    db.session.flush()
    db.session.execute(text("DELETE FROM case_tally"))
    _add("true", 1, {})


def differences() -> list[tuple[str, int, str, int, int]]:
    """(side, node, state, kept, recomputed) for every count that is not what the cases
    say now; empty when the tallies are right."""
    db.session.flush()
    fresh = {(s, n, st): k for s, n, st, k in db.session.execute(text(_contributions("true")))}
    kept = {(r.side, r.node_id, r.state): r.n for r in db.session.scalars(select(CaseTally))}
    keys = sorted(set(fresh) | set(kept))
    return [(*key, kept.get(key, 0), fresh.get(key, 0)) for key in keys
            if kept.get(key, 0) != fresh.get(key, 0)]


@contextmanager
def counting_in_bulk() -> Iterator[None]:
    """Around a bulk insert of cases (the synthetic generator): on PostgreSQL the row
    trigger is off inside (``ALTER TABLE`` locks ``referral_case`` until commit, and rolls
    back with the transaction) and the new cases are counted once, set-based, at the end; a
    row-by-row count cost 0.7 ms a case, 20 minutes for the national set."""
    db.session.flush()
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    first = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
    db.session.execute(text("ALTER TABLE referral_case DISABLE TRIGGER case_tally_write"))
    yield
    db.session.execute(text("ALTER TABLE referral_case ENABLE TRIGGER case_tally_write"))
    _add("c.id >= :first", 1, {"first": first})


@contextmanager
def moving(old: str, new: str) -> Iterator[None]:
    """Around a subtree's move from path ``old`` to ``new``: the cases placed in it (unit,
    Party organisation or host cell) leave the counts of their old ancestors and join those
    of the new."""
    where = ("(c.union_unit_id IN (SELECT id FROM organisation WHERE path LIKE :subtree)"
             " OR c.party_org_id IN (SELECT id FROM organisation WHERE path LIKE :subtree)"
             " OR c.host_cell_id IN (SELECT id FROM organisation WHERE path LIKE :subtree))")
    db.session.flush()      # paths are digits and slashes: nothing to escape in LIKE
    _add(where, -1, {"subtree": old + "%"})
    yield
    db.session.flush()
    _add(where, 1, {"subtree": new + "%"})


def counts(side: str, node_id: int) -> dict[str, int]:
    """Cases per state under one node, as a grant at that node sees them."""
    rows = db.session.execute(select(CaseTally.state, CaseTally.n).where(
        CaseTally.side == side, CaseTally.node_id == node_id, CaseTally.n != 0))
    return {state: n for state, n in rows}


def _roots() -> list[int]:
    return list(db.session.scalars(select(Organisation.id).where(
        Organisation.parent_id.is_(None), Organisation.tree == "union")))


def _single_scope(user: User, day: date) -> tuple[str, Organisation | None] | None:
    """(side, node) when one node's subtree on one side holds ``user``'s whole scope: an
    administrator's is ``(UNION, None)`` (every tree), staff whose grants are all on one
    side and nested in one node have that node's; None otherwise (a candidate, a user with
    grants on both sides or in two subtrees)."""
    grants = user.active_grants(day)
    if any(g.role == Role.administrator for g in grants):
        return UNION, None
    sides = {UNION if g.role in UNION_SIDE else PARTY if g.role in PARTY_SIDE else None
             for g in grants}
    nodes = [g.org for g in grants if g.org is not None]
    if len(sides) != 1 or None in sides or not nodes or len(nodes) != len(grants):
        return None
    top = min(nodes, key=lambda n: len(n.path))
    if not all(top.contains(n) for n in nodes):
        return None
    return sides.pop(), top


def scope_counts(user: User, day: date | None = None) -> dict[str, int] | None:
    """Cases per state in ``user``'s whole scope when one tally holds it (an administrator's
    summed over the trees); None otherwise, for the caller's own GROUP BY."""
    single = _single_scope(user, day or clock.today())
    if single is None:
        return None
    side, node = single
    if node is not None:
        return counts(side, node.id)
    total: dict[str, int] = {}
    for root in _roots():
        for state, n in counts(UNION, root).items():
            total[state] = total.get(state, 0) + n
    return total


def union_scope_node(user: User, day: date | None = None) -> Organisation | None:
    """The union node whose subtree is ``user``'s whole scope (an administrator's when the
    union tree has one root), or None."""
    single = _single_scope(user, day or clock.today())
    if single is None or single[0] != UNION:
        return None
    if single[1] is not None:
        return single[1]
    roots = _roots()
    return db.session.get(Organisation, roots[0]) if len(roots) == 1 else None


def covers(user: User, node: Organisation, side: str, day: date | None = None) -> bool:
    """Whether ``user``'s scope holds every case of ``node``'s ``side`` subtree (so that
    the scoped count there is the node's tally)."""
    roles = UNION_SIDE if side == UNION else PARTY_SIDE
    return any(g.role == Role.administrator or (g.role in roles and g.org is not None
                                                and g.org.contains(node))
               for g in user.active_grants(day or clock.today()))
