"""Reports from a read replica: with ``REPORTS_DATABASE_URL`` the report pages read a second
database (here a copy of the test's database, which then falls behind the primary as a
lagging replica would) and still write their read log to the primary."""
from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from referral_flow.extensions import db as _db
from referral_flow.models import Case, ReadEvent
from referral_flow.replica import reading_replica

from .. import factories
from ..conftest import ON_PG, PG_URL, _admin_engine, _config, app_of, csrf_token, totp_code


MOVE_ONE = text("UPDATE referral_case SET state = 'in_class' WHERE id = "
                "(SELECT min(id) FROM referral_case)")
ACCEPTED = select(func.count(Case.id)).where(Case.state == "accepted")


@pytest.fixture
def people(app, db, world) -> dict:
    for _ in range(2):
        factories.advance(factories.new_case(world, "a"), world, "accepted")
    db.session.commit()
    return {"admin": world.users["administrator"].id,
            "officer": world.users["party_officer_a"].username}


@pytest.fixture
def replica_url(app, db, people, database_url, tmp_path):
    """A copy of the database as it stands now, with two accepted cases in it."""
    db.session.remove()
    db.engine.dispose()
    if not ON_PG:
        copy = tmp_path / "replica.db"
        source = make_url(database_url).database
        engine = create_engine(database_url)
        with engine.connect() as conn:     # fold the WAL in first
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        shutil.copy(source, copy)
        yield f"sqlite:///{copy}"
        return
    name = f"rf_replica_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(database_url).database}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_reads_go_to_the_replica_and_writes_to_the_primary(database_url, replica_url, people):
    with app_of(_config(database_url) | {"REPORTS_DATABASE_URL": replica_url}):
        _db.session.execute(MOVE_ONE)       # on the primary only: the replica lags
        _db.session.commit()
        assert _db.session.scalar(ACCEPTED) == 1
        with reading_replica():
            assert _db.session.scalar(ACCEPTED) == 2
            _db.session.execute(insert(ReadEvent).values(
                at=factories.TODAY, actor_id=people["admin"],
                endpoint="test", filters={}, rows=0))
            _db.session.commit()
        assert _db.session.scalar(select(func.count(ReadEvent.id))) == 1
        with reading_replica():
            assert _db.session.scalar(select(func.count(ReadEvent.id))) == 0


def test_without_a_replica_reports_read_the_primary(app, db, world):
    factories.new_case(world, "a")
    db.session.commit()
    with reading_replica():
        assert db.session.scalar(select(func.count(Case.id))) == 1


def test_report_page_reads_the_replica_and_logs_on_the_primary(database_url, replica_url,
                                                               people):
    officer = people["officer"]
    config = _config(database_url) | {"REPORTS_DATABASE_URL": replica_url}
    with app_of(config) as other:
        client = other.test_client()
        page = client.get("/login")
        answer = client.post("/login", data={"username": officer,
                                             "password": "correct horse battery",
                                             "csrf_token": csrf_token(page.text)})
        if answer.location.startswith("/login/code"):
            page = client.get(answer.location)
            client.post(answer.location, data={"code": totp_code(officer),
                                               "csrf_token": csrf_token(page.text)})
        # A case moved on the primary only: the replica's dashboard does not show it yet.
        _db.session.execute(MOVE_ONE)
        _db.session.commit()
        before = _db.session.scalar(select(func.count(ReadEvent.id)))
        page = client.get("/reports/party")
        assert page.status_code == 200
        counts = page.text.split('id="state-counts"')[1].split("</table>")[0]
        # As on the replica: accepted 2 (the primary has accepted 1, in class 1).
        assert counts.count("<tr data-state=") == 1
        assert '<td class="num">2</td>' in counts.split('data-state="accepted"')[1]
        assert _db.session.scalar(select(func.count(ReadEvent.id))) == before + 1
        with reading_replica():
            states = dict(_db.session.execute(
                select(Case.state, func.count(Case.id)).group_by(Case.state)).all())
        assert states == {"accepted": 2}
