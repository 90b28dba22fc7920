"""No lost updates (ARCHITECTURE.md pattern 4): two people act on the same case at once.

Each attempt runs in its own thread with its own application context (hence its own session
and connection), loads the case by id, fires with the version its form carried and commits,
as two simultaneous requests would. Exactly one wins; the other gets ``Conflict``.
On SQLite the writes begin IMMEDIATE, on PostgreSQL the UPDATE … WHERE version=? decides.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, func, select

from referral_flow.demo_steps import step_data
from referral_flow.models import AuditEvent, Case, Organisation, User
from referral_flow.services import audit
from referral_flow.services.transitions import fire
from referral_flow.workflow.errors import Conflict
from referral_flow.workflow.transitions import BY_TRIGGER

from ..factories import TODAY, advance, new_case

ROUNDS = 10
REASON = "Hồ sơ còn thiếu, đề nghị công đoàn bổ sung."


@dataclass(frozen=True)
class Attempt:
    trigger: str
    username: str


@dataclass
class Outcome:
    attempt: Attempt
    won: bool = False
    error: BaseException | None = None
    version_seen: int | None = None        # the version in memory when fire was called


@dataclass(frozen=True)
class Prepared:
    """Plain values only: a thread must never touch the main thread's ORM objects (on SQLite,
    refreshing one would open a write transaction in the main session that nobody ends)."""
    case_id: int
    version: int
    state: str
    events: int
    user_ids: dict[str, int]
    cell_ids: tuple[int, ...]


def case_events(db, case_id: int) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.case_id == case_id, AuditEvent.subject == "case"))


def prepare(db, world, state: str) -> Prepared:
    """A fresh case moved to ``state`` and committed; the main thread then holds no lock."""
    case = advance(new_case(world), world, state)
    db.session.commit()
    prepared = Prepared(case.id, case.version, case.state, case_events(db, case.id),
                        {name: u.id for name, u in world.users.items()},
                        tuple(c.id for c in world.cells))
    db.session.rollback()       # end the read transaction (on SQLite it holds the write lock)
    return prepared


def load(session, prepared: Prepared, attempt: Attempt) -> tuple[Case, User, dict, str]:
    """What a request reads: the case, the user, and the data of the form it posts."""
    case = session.get(Case, prepared.case_id)
    actor = session.get(User, prepared.user_ids[attempt.username])
    cells = session.scalars(select(Organisation).where(Organisation.id.in_(prepared.cell_ids))
                            .order_by(Organisation.id)).all()
    data, comment = step_data(attempt.trigger, case, case.state_since, cells)
    return case, actor, data, comment or REASON


def act(app, db, prepared: Prepared, attempt: Attempt, barrier: threading.Barrier,
        outcome: Outcome, *, load_before_barrier: bool) -> None:
    """One request: load the case, fire with the form's version, commit; record what happened.

    With ``load_before_barrier`` both requests read the case before either writes (the
    object keeps the version it was loaded with), so the loser can only be stopped by the
    compare-and-set of the flush, not by the early version check.
    """
    try:
        with app.app_context():
            session = db.session()
            try:
                if load_before_barrier:
                    session.expire_on_commit = False
                    case, actor, data, comment = load(session, prepared, attempt)
                    session.commit()            # release the read (SQLite: the write lock)
                    barrier.wait()
                else:
                    barrier.wait()
                    case, actor, data, comment = load(session, prepared, attempt)
                outcome.version_seen = case.version
                fire(case, attempt.trigger, actor, expected_version=prepared.version,
                     data=data, comment=comment, on=case.state_since, today=TODAY)
                session.commit()
                outcome.won = True
            except BaseException:
                session.rollback()
                raise
            finally:
                db.session.remove()
    except BaseException as exc:        # reported by the main thread, never lost in a thread
        outcome.error = exc


def race(app, db, prepared: Prepared, attempts: tuple[Attempt, Attempt], *,
         load_before_barrier: bool) -> list[Outcome]:
    barrier = threading.Barrier(len(attempts), timeout=60)
    outcomes = [Outcome(a) for a in attempts]
    threads = [threading.Thread(target=act, args=(app, db, prepared, o.attempt, barrier, o),
                                kwargs={"load_before_barrier": load_before_barrier})
               for o in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a request hung"
    return outcomes


def assert_one_winner(db, prepared: Prepared, outcomes: list[Outcome], *,
                      load_before_barrier: bool) -> None:
    winners = [o for o in outcomes if o.won]
    losers = [o for o in outcomes if not o.won]
    assert len(winners) == 1, f"winners: {winners}"
    for loser in losers:
        # StaleDataError (or anything else) escaping fire would show here
        assert isinstance(loser.error, Conflict), f"loser got {loser.error!r}"
        assert loser.error.http_status == 409
        if load_before_barrier:
            assert loser.version_seen == prepared.version   # stopped by the compare-and-set
    win = winners[0].attempt
    db.session.expire_all()
    case = db.session.get(Case, prepared.case_id)
    assert case.version == prepared.version + 1
    assert case.state in {t.dest for t in BY_TRIGGER[win.trigger] if prepared.state in t.source}
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == prepared.case_id, AuditEvent.subject == "case",
    ).order_by(AuditEvent.id)).all()
    assert len(events) == prepared.events + 1
    last = events[-1]
    assert (last.trigger, last.from_state, last.to_state) == (win.trigger, prepared.state,
                                                              case.state)
    db.session.rollback()


def assert_chain_ok(db) -> None:
    report = audit.verify()
    assert report.ok, f"audit chain broken at {report.bad_event_id}: {report.problem}"
    db.session.rollback()


SAME_TRIGGER = ("draft", (Attempt("submit", "union_chair_a"), Attempt("submit", "union_chair_a")))
ACCEPT_OR_RETURN = ("nominated", (Attempt("accept", "party_officer_a"),
                                  Attempt("return_to_union", "party_officer_a")))


@pytest.mark.parametrize("load_before_barrier", [False, True],
                         ids=["load-in-race", "loaded-earlier"])
@pytest.mark.parametrize("state, attempts", [SAME_TRIGGER, ACCEPT_OR_RETURN],
                         ids=["submit-vs-submit", "accept-vs-return"])
def test_exactly_one_of_two_simultaneous_attempts_wins(app, db, world, state, attempts,
                                                        load_before_barrier):
    winners = []
    for _ in range(ROUNDS):
        prepared = prepare(db, world, state)
        outcomes = race(app, db, prepared, attempts,
                        load_before_barrier=load_before_barrier)
        assert_one_winner(db, prepared, outcomes, load_before_barrier=load_before_barrier)
        winners += [o.attempt.trigger for o in outcomes if o.won]
    assert len(winners) == ROUNDS
    assert_chain_ok(db)


@dataclass
class Writes:
    """SQL statements other than SELECT sent while it listens."""
    statements: list[str] = field(default_factory=list)

    def __call__(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT",
                                                      "RELEASE")):
            self.statements.append(statement)


def test_a_stale_form_gets_conflict_without_touching_the_database(app, db, world):
    """No HTTP layer: the service itself refuses a version that is no longer current."""
    officer = world.users["party_officer_a"]
    case = advance(new_case(world), world, "nominated")
    db.session.commit()
    form_version = case.version         # the officer opens the accept form ...
    form_data, _ = step_data("accept", case, case.state_since, world.cells)

    fire(case, "return_to_union", officer, expected_version=form_version,   # ... a colleague acts
         comment=REASON, on=case.state_since, today=TODAY)
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    before = (case.state, case.version, case.state_since, case_events(db, case.id))

    writes = Writes()
    event.listen(db.engine, "before_cursor_execute", writes)
    try:
        with pytest.raises(Conflict) as caught:         # ... and the officer submits the form
            fire(case, "accept", officer, expected_version=form_version, data=form_data,
                 on=case.state_since, today=TODAY)
        assert not (db.session.new or db.session.dirty or db.session.deleted)
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", writes)
    assert writes.statements == []
    assert caught.value.http_status == 409
    db.session.rollback()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.state, case.version, case.state_since, case_events(db, case.id)) == before
    assert case.host_cell is None and not case.helpers
    assert_chain_ok(db)


def test_a_step_that_leaves_the_row_as_it_was_still_moves_the_version(db, world):
    """A second undecided recognition vote on the day of the first keeps the case where it
    was, state and date alike: it is still one compare-and-set, so a page showing the old
    version cannot take a step on top of it."""
    case = advance(new_case(world), world, "probation")
    on = case.probation_ends_on
    data, comment = step_data("record_undecided", case, on, world.cells)
    fire(case, "record_undecided", None, expected_version=case.version, data=data,
         comment=comment, on=on, today=TODAY, check_permission=False)
    db.session.commit()
    before = case.version
    data, comment = step_data("record_undecided", case, on, world.cells)
    fire(case, "record_undecided", None, expected_version=before, data=data, comment=comment,
         on=on, today=TODAY, check_permission=False)
    db.session.commit()
    assert (case.state, case.state_since) == ("probation", on)
    assert case.version == before + 1
    with pytest.raises(Conflict):
        fire(case, "record_undecided", None, expected_version=before, data=data,
             comment=comment, on=on, today=TODAY, check_permission=False)
