"""The audit trail is append-only and tamper-evident (ARCHITECTURE.md §5)."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from referral_flow.config import TestingConfig
from referral_flow.models import AuditEvent, Role

from ..conftest import Read, audit_events, changes_logged, logged_reads
from ..factories import advance, new_case, user

GENESIS = "0" * 64
KEY = TestingConfig.AUDIT_KEY.encode()


def _on_pg(db) -> bool:
    return db.engine.dialect.name == "postgresql"




def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _drop_append_only_guard(db) -> None:
    """What an attacker with database access would do first."""
    if _on_pg(db):
        db.session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))
    db.session.commit()




REFUSED = [
    "UPDATE audit_event SET comment = 'forged' WHERE id = :id",
    "UPDATE audit_event SET hash = :fake WHERE id = :id",
    "UPDATE audit_event SET comment = 'forged'",
    "DELETE FROM audit_event WHERE id = :id",
    "DELETE FROM audit_event",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_database_refuses_update_and_delete(trail, db, sql):
    victim = trail[len(trail) // 2]
    before = [(e.id, e.comment, e.hash) for e in trail]
    with pytest.raises(DBAPIError) as err:
        db.session.execute(text(sql), {"id": victim.id, "fake": "f" * 64})
    assert "append-only" in str(err.value)
    db.session.rollback()
    assert [(e.id, e.comment, e.hash) for e in audit_events(db)] == before


def test_postgresql_refuses_truncate(trail, db):
    if not _on_pg(db):
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DBAPIError):
        db.session.execute(text("TRUNCATE audit_event"))
    db.session.rollback()
    assert len(audit_events(db)) == len(trail)


def test_each_hash_is_hmac_sha256_of_canonical_json_and_links_to_previous(trail, db):
    prev = GENESIS
    for event in trail:
        canonical = event.canonical()
        assert event.hash == hmac.new(KEY, canonical.encode("utf-8"),
                                      hashlib.sha256).hexdigest()
        body = json.loads(canonical)
        assert body["prev"] == event.prev_hash == prev
        assert (body["trigger"], body["case_id"], body["to"]) == (
            event.trigger, event.case_id, event.to_state)
        # canonical: sorted keys, no whitespace, so the hash is reproducible elsewhere
        assert canonical == json.dumps(body, sort_keys=True, ensure_ascii=False,
                                       separators=(",", ":"))
        prev = event.hash
    # The previous hash is part of what is hashed: another predecessor, another hash.
    last = trail[-1]
    clone = AuditEvent(**{c.key: getattr(last, c.key)
                          for c in AuditEvent.__table__.columns if c.key != "id"})
    clone.prev_hash = "f" * 64
    assert clone.compute_hash() != last.hash


def test_verify_passes_on_an_honest_chain(trail, app):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert str(len(trail)) in result.output


def _tamper_sql(db, column: str) -> tuple[str, dict]:
    if column == "data":
        value = json.dumps({"on": "2020-01-01", "forged": True})
        cast = "CAST(:v AS JSON)" if _on_pg(db) else ":v"
        return f"UPDATE audit_event SET data = {cast} WHERE id = :id", {"v": value}
    values = {"comment": "sửa lén", "to_state": "official", "from_state": "draft",
              "step_on": date(2020, 1, 1)}
    return f"UPDATE audit_event SET {column} = :v WHERE id = :id", {"v": values[column]}


@pytest.mark.parametrize("column", ["comment", "data", "to_state", "step_on"])
def test_verify_names_an_edited_event(trail, app, db, column):
    victim = trail[len(trail) // 2]
    assert _verify(app).exit_code == 0
    _drop_append_only_guard(db)
    sql, params = _tamper_sql(db, column)
    db.session.execute(text(sql), params | {"id": victim.id})
    db.session.commit()
    result = _verify(app)
    assert result.exit_code != 0
    assert f"event {victim.id}" in result.output
    assert "intact" not in result.output


def test_verify_detects_an_edit_with_a_recomputed_hash(trail, app, db):
    """Re-hashing the forged event is not enough: its successor's link breaks."""
    victim, successor = trail[3], trail[4]
    forged = AuditEvent(**{c.key: getattr(victim, c.key)
                           for c in AuditEvent.__table__.columns if c.key != "id"})
    forged.comment = "sửa lén"
    _drop_append_only_guard(db)
    db.session.execute(text("UPDATE audit_event SET comment = :c, hash = :h WHERE id = :id"),
                       {"c": forged.comment, "h": forged.compute_hash(), "id": victim.id})
    db.session.commit()
    result = _verify(app)
    assert result.exit_code != 0
    assert f"event {successor.id}" in result.output


def test_verify_detects_a_deleted_middle_event(trail, app, db):
    gone, successor = trail[len(trail) // 2], trail[len(trail) // 2 + 1]
    _drop_append_only_guard(db)
    db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone.id})
    db.session.commit()
    result = _verify(app)
    assert result.exit_code != 0
    assert f"event {successor.id}" in result.output


def _reads(db, case_id: int) -> list[Read]:
    return [r for r in logged_reads(db)
            if r.endpoint == "cases.detail" and r.filters["case_id"] == case_id]


@pytest.mark.parametrize("who", ["union_chair_a", "party_officer_a", "administrator"])
def test_staff_reading_a_case_is_logged(world, db, app, client, auth, who):
    case = advance(new_case(world, "a"), world, "accepted")
    db.session.commit()
    reader = world.users[who]
    before = changes_logged(db)
    auth.login(reader.username)
    assert client.get(f"/cases/{case.id}").status_code == 200
    reads = _reads(db, case.id)
    assert [(r.actor_id, r.members) for r in reads] == [(reader.id, {case.member_id})]
    # The read log, not the chain (whose lock would serialise page views): the chain has
    # no event for the read, and stays intact.
    assert changes_logged(db) == before
    assert _verify(app).exit_code == 0


def test_member_reading_his_own_case_is_not_logged(world, db, client, auth):
    case = advance(new_case(world, "a"), world, "accepted")
    me = user(Role.member, None, member_id=case.member_id)
    db.session.commit()
    before = changes_logged(db)
    auth.login(me.username)
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert _reads(db, case.id) == []
    assert changes_logged(db) == before
