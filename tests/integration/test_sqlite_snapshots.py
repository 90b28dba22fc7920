"""SQLite: a GET reads in a snapshot and does not queue behind a writer; what it writes (the
read log) waits for the write lock in a transaction of its own; a POST still takes the
lock up front; a write in a snapshot is refused (database.py)."""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import template_rendered
from sqlalchemy import event, func, select, update

from referral_flow.database import WriteInSnapshot, begin_writing
from referral_flow.models import ReadEvent, User

from ..conftest import ON_PG, csrf_token
from ..factories import TODAY, advance, new_case

pytestmark = pytest.mark.skipif(ON_PG, reason="SQLite's write lock; PostgreSQL is unchanged")


@pytest.fixture
def case(world, db) -> tuple[int, int, str]:
    """A nominated case: (id, version, the member's name), plain values that the test's
    session need not read again (which, on SQLite, would take the write lock)."""
    case = advance(new_case(world, start=TODAY - timedelta(days=60)), world, "nominated",
                   today=TODAY)
    db.session.commit()
    return case.id, case.version, case.member.full_name


@pytest.fixture
def officer(world, db, auth) -> None:
    """The Party officer signed in; the test's session then holds no transaction."""
    auth.login(world.users["party_officer_a"].username)
    db.session.rollback()


@contextmanager
def writer_holding_lock(db):
    """Another process's writer: a raw connection to the same file in BEGIN IMMEDIATE."""
    raw = sqlite3.connect(db.engine.url.database, isolation_level=None,
                          check_same_thread=False)
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield raw
    finally:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raw.close()


@contextmanager
def begins(db):
    """The BEGIN statements the app's connections send while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def reads_logged(db) -> int:
    db.session.rollback()
    count = db.session.scalar(select(func.count(ReadEvent.id)))
    db.session.rollback()
    return count


def test_case_page_is_read_while_a_writer_holds_the_lock(app, db, case, officer, client):
    """The writer lets go only once the page is drawn (or after 10 s, when the reads
    queued behind it); the read log is then written after it let go."""
    before = reads_logged(db)
    held_at_render: list[bool] = []
    released: list[float] = []
    with writer_holding_lock(db) as raw:
        lock = threading.Lock()

        def release():
            with lock:
                if raw.in_transaction:
                    raw.execute("COMMIT")
                    released.append(time.monotonic())

        def on_render(_sender, **_extra):
            held_at_render.append(raw.in_transaction)
            threading.Timer(0.2, release).start()

        fallback = threading.Timer(10, release)
        fallback.start()
        with template_rendered.connected_to(on_render, app), begins(db) as seen:
            response = client.get(f"/cases/{case[0]}")
        answered = time.monotonic()
        fallback.cancel()
    assert response.status_code == 200
    assert case[2] in response.text
    assert held_at_render == [True]
    assert seen == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    assert released[0] <= answered
    assert reads_logged(db) == before + 1


def test_no_page_without_its_log_when_the_lock_is_not_freed(app, db, case, officer, client):
    before = reads_logged(db)

    def short_wait(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    event.listen(db.engine, "connect", short_wait)
    db.engine.dispose()         # the next connections are opened with the short wait
    try:
        with writer_holding_lock(db):
            response = client.get(f"/cases/{case[0]}")
    finally:
        event.remove(db.engine, "connect", short_wait)
    assert response.status_code == 503
    assert case[2] not in response.text
    assert reads_logged(db) == before


def test_a_transition_takes_the_lock_up_front(db, case, officer, client):
    page = client.get(f"/cases/{case[0]}")
    with begins(db) as seen:
        response = client.post(f"/cases/{case[0]}/return_to_union", data={
            "return_to_union-csrf_token": csrf_token(page.text),
            "return_to_union-version": case[1],
            "return_to_union-comment": "Thiếu hồ sơ"})
    assert response.status_code == 302
    assert seen and set(seen) == {"BEGIN IMMEDIATE"}


def test_a_write_in_a_snapshot_is_refused(app, db, world, client):
    user_id = world.users["party_officer_a"].id

    def write(first):
        first()
        db.session.execute(update(User).where(User.id == user_id).values(locale="en"))
        db.session.commit()
        return "ok"

    app.add_url_rule("/_probe/forgot", "forgot", lambda: write(lambda: None))
    app.add_url_rule("/_probe/asked", "asked", lambda: write(begin_writing))
    db.session.commit()
    with pytest.raises(WriteInSnapshot, match="begin_writing"):
        client.get("/_probe/forgot")
    assert client.get("/_probe/asked").text == "ok"
