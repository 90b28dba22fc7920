"""Staff users' work phone and e-mail: set by an administrator (on creation or later),
audited, refused in the user's language when malformed; shown to candidates."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from referral_flow.models import AuditEvent, User

from ..conftest import csrf_token


@pytest.fixture
def admin(world, db, client, auth):
    db.session.commit()
    auth.login(world.users["administrator"].username)
    return client


def _post(client, url, data):
    token = csrf_token(client.get("/admin/").text)
    return client.post(url, data={"csrf_token": token, **data})


def test_a_new_account_gets_its_work_contact(admin, db):
    response = _post(admin, "/admin/users/new", {
        "username": "bithu2", "full_name": "Lê Văn Bí", "work_phone": "0912 345 678",
        "work_email": "bi.lv@example.vn", "password": "mot-mat-khau-dai", "confirm":
        "mot-mat-khau-dai"})
    assert response.status_code == 302
    created = db.session.scalars(select(User).where(User.username == "bithu2")).one()
    assert (created.work_phone, created.work_email) == ("0912345678", "bi.lv@example.vn")


def test_the_work_contact_is_changed_and_audited(admin, world, db):
    secretary = world.users["cell_secretary_a"]
    url = f"/admin/users/{secretary.id}/contact"
    assert _post(admin, url, {"work_phone": "0915.362.804", "work_email": ""}).status_code == 302
    db.session.expire_all()
    assert (secretary.work_phone, secretary.work_email) == ("0915362804", "")
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.subject, event.trigger, event.data["fields"]) == ("user", "contact",
                                                                   ["work_phone"])
    assert "0915362804" in admin.get(f"/admin/users/{secretary.id}").text
    # The same values again change nothing and write nothing.
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    assert _post(admin, url, {"work_phone": "0915362804"}).status_code == 302
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == before


@pytest.mark.parametrize("data, message", [
    ({"work_phone": "12ab"}, "Vui lòng nhập số điện thoại"),
    ({"work_email": "khong-phai-thu"}, "địa chỉ thư điện tử hợp lệ"),
])
def test_a_malformed_contact_is_refused_and_kept(admin, world, db, data, message):
    secretary = world.users["cell_secretary_a"]
    response = _post(admin, f"/admin/users/{secretary.id}/contact", data)
    assert response.status_code == 400
    assert message in response.text and next(iter(data.values())) in response.text
    db.session.expire_all()
    assert (secretary.work_phone, secretary.work_email) == ("", "")


def test_only_administrators_set_contacts(world, db, client, auth):
    db.session.commit()
    auth.login(world.users["party_officer_a"].username)
    target = world.users["cell_secretary_a"]
    token = csrf_token(client.get("/cases/").text)
    response = client.post(f"/admin/users/{target.id}/contact",
                           data={"csrf_token": token, "work_phone": "0900000000"})
    assert response.status_code == 403
