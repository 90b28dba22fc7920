""""Hồ sơ của tôi" answers what the candidate must do, by when, and whom he asks: the
missing documents by name, the deadline (or that the step has none) and the expiries that
matter, his helpers and the cell secretary with their phone and e-mail, one road of dated
steps with the comments marked for him, and a link to his case page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape

from referral_flow.demo_steps import background_check, dossier_documents
from referral_flow.models import Role
from referral_flow.services.transitions import fire

from ..conftest import counting
from ..factories import TODAY, advance, new_case, user

ROAD = re.compile(r'<ol class="timeline road">(.*?)</ol>', re.S)
STEP = re.compile(r'<li class="(done|current|ahead)"')


def _member_of(case, db):
    me = user(Role.member, None, member_id=case.member_id, username=f"ungvien{case.id}")
    db.session.commit()
    return me


@pytest.fixture
def secretary_contact(world, db):
    secretary = world.users["cell_secretary_a"]
    secretary.full_name = "Hoàng Văn Tư"
    secretary.work_phone, secretary.work_email = "0915362804", "tu.hv@example.vn"
    db.session.commit()
    return secretary


@pytest.fixture
def in_dossier(world, db, secretary_contact):
    """A case in the dossier step with the application and the personal history on file,
    and two comments: one for the candidate, one internal."""
    case = advance(new_case(world, start=TODAY - timedelta(days=120)), world, "certified")
    on = case.state_since + timedelta(days=5)
    fire(case, "open_dossier", None, expected_version=case.version, on=on, today=TODAY,
         data={"documents": dossier_documents(on)[:2]}, check_permission=False,
         comment="Anh nhớ nộp thư giới thiệu trước cuối tháng", comment_visible=True)
    background_check(case, on)
    db.session.commit()
    return case


def page_of(client, auth, me) -> str:
    auth.login(me.username)
    page = client.get("/me/")
    assert page.status_code == 200
    return page.text


def test_the_missing_documents_are_named(world, db, auth, client, in_dossier):
    text = page_of(client, auth, _member_of(in_dossier, db))
    todo = text[text.index("Việc anh/chị cần làm"):text.index("Thời hạn")]
    assert "Giấy giới thiệu người vào Đảng (mẫu 3-KNĐ)" in todo
    assert "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú (mẫu 5-KNĐ)" in todo
    assert "mẫu 1-KNĐ" not in todo and "mẫu 2-KNĐ" not in todo       # on file
    assert todo.count('class="badge doc-missing"') == 2


def test_a_complete_dossier_asks_for_nothing(world, db, auth, client, secretary_contact):
    case = advance(new_case(world, start=TODAY - timedelta(days=120)), world, "dossier")
    text = page_of(client, auth, _member_of(case, db))
    assert "Ở bước này hồ sơ không thiếu văn bản nào" in text
    assert 'class="badge doc-missing"' not in text


def test_no_legal_deadline_is_said_plainly_with_the_expiries_that_matter(world, db, auth,
                                                                          client, in_dossier):
    text = page_of(client, auth, _member_of(in_dossier, db))
    when = text[text.index("Thời hạn"):text.index("Cần hỏi ai")]
    assert "Bước này không có thời hạn do quy định của Đảng đặt ra" in when
    cert = in_dossier.latest_document("certificate")
    assert "Giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng" in when
    assert f"còn giá trị đến {cert.valid_until:%d/%m/%Y}" in when


def test_a_legal_deadline_is_given_with_the_working_days_left(world, db, auth, client,
                                                               secretary_contact):
    case = advance(new_case(world, start=TODAY - timedelta(days=120)), world,
                   "decision_pending", gap=8)
    text = page_of(client, auth, _member_of(case, db))
    when = text[text.index("Thời hạn"):text.index("Cần hỏi ai")]
    assert "Hạn ra quyết định kết nạp:" in when and "ngày làm việc" in when
    assert "không có thời hạn" not in when
    assert "Việc anh/chị cần làm" in text and "còn giá trị đến" not in when   # voted already


def test_helpers_and_the_cell_secretary_with_phone_and_email(world, db, auth, client,
                                                            in_dossier):
    helper = in_dossier.helpers[0].party_member
    text = page_of(client, auth, _member_of(in_dossier, db))
    ask = text[text.index("Cần hỏi ai"):text.index("Các bước của hồ sơ")]
    assert str(escape(helper.full_name)) in ask and f'href="tel:{helper.phone}"' in ask
    assert "Đảng viên giúp đỡ anh/chị" in ask
    assert "Hoàng Văn Tư" in ask and "Bí thư chi bộ của anh/chị" in ask
    assert 'href="tel:0915362804"' in ask and 'href="mailto:tu.hv@example.vn"' in ask


def test_before_acceptance_the_union_chair_is_the_contact(world, db, auth, client):
    chair = world.users["union_chair_a"]
    chair.work_phone = "0912408315"
    case = advance(new_case(world, start=TODAY - timedelta(days=30)), world, "nominated")
    text = page_of(client, auth, _member_of(case, db))
    ask = text[text.index("Cần hỏi ai"):text.index("Các bước của hồ sơ")]
    assert "Chủ tịch công đoàn cơ sở của anh/chị" in ask and 'href="tel:0912408315"' in ask
    assert "Bí thư chi bộ" not in ask


def test_a_cell_without_a_secretary_account_gives_the_party_officer(world, db, auth, client,
                                                                  in_dossier):
    world.users["cell_secretary_a"].active = False
    db.session.commit()
    text = page_of(client, auth, _member_of(in_dossier, db))
    ask = text[text.index("Cần hỏi ai"):text.index("Các bước của hồ sơ")]
    assert "Hoàng Văn Tư" not in ask
    assert "Cán bộ của tổ chức đảng tiếp nhận hồ sơ" in ask


def test_one_road_with_dates_and_only_the_comments_for_the_candidate(world, db, auth, client,
                                                                   in_dossier):
    fire(in_dossier, "send_to_cell", None, expected_version=in_dossier.version,
         on=in_dossier.state_since, today=TODAY, check_permission=False,
         data={"documents": dossier_documents(in_dossier.state_since)[2:]},
         comment="Ghi chú nội bộ: lý lịch cần đối chiếu")
    db.session.commit()
    text = page_of(client, auth, _member_of(in_dossier, db))
    assert text.count("<ol") == 1                           # one list: no second timeline
    assert "Quá trình xử lý" not in text and "Các bước</h2>" not in text
    road = ROAD.search(text).group(1)
    kinds = STEP.findall(road)
    # draft, nominated, accepted, in class, certified, dossier, cell review (now) ...
    assert kinds[:7] == ["done"] * 6 + ["current"]
    # ... then the steps ahead, undated (the committee's two reviews among them).
    assert kinds[7:] == ["ahead"] * 7 and road.count("<time") == 7
    assert "Anh nhớ nộp thư giới thiệu trước cuối tháng" in road
    assert "Ghi chú nội bộ" not in text


def test_the_road_is_dated_once_per_step(world, db, auth, client, in_dossier):
    text = page_of(client, auth, _member_of(in_dossier, db))
    road = ROAD.search(text).group(1)
    dates = re.findall(r'<time datetime="([\d-]+)">', road)
    assert len(dates) == 6 and dates == sorted(dates)


def test_the_case_page_link_opens_his_own_case_without_internal_comments(world, db, auth,
                                                                        client, in_dossier):
    fire(in_dossier, "send_to_cell", None, expected_version=in_dossier.version,
         on=in_dossier.state_since, today=TODAY, check_permission=False,
         data={"documents": dossier_documents(in_dossier.state_since)[2:]},
         comment="Ghi chú nội bộ: lý lịch cần đối chiếu")
    db.session.commit()
    text = page_of(client, auth, _member_of(in_dossier, db))
    assert f'href="/cases/{in_dossier.id}"' in text
    case_page = client.get(f"/cases/{in_dossier.id}")
    assert case_page.status_code == 200
    assert "Anh nhớ nộp thư giới thiệu trước cuối tháng" in case_page.text
    assert "Ghi chú nội bộ" not in case_page.text


def test_a_closed_case_has_no_to_do_nor_deadline(world, db, auth, client, secretary_contact):
    case = advance(new_case(world, start=TODAY - timedelta(days=800)), world, "official")
    text = page_of(client, auth, _member_of(case, db))
    assert "Việc anh/chị cần làm" not in text and "Thời hạn" not in text
    assert 'class="current"' in text and 'class="ahead"' not in text


@pytest.mark.parametrize("helpers", [1, 3])
def test_the_page_issues_a_bounded_number_of_statements(world, db, auth, client, app,
                                                       secretary_contact, helpers):
    case = advance(new_case(world, start=TODAY - timedelta(days=120)), world, "nominated")
    fire(case, "accept", None, expected_version=case.version, today=TODAY,
         on=case.state_since + timedelta(days=3), check_permission=False,
         data={"host_cell_id": world["cell_a"].id,
               "helpers": [p.id for p in world.rosters["cell_a"][:helpers]]})
    me = _member_of(case, db)
    auth.login(me.username)
    with counting(app, db) as seen:
        assert client.get("/me/").status_code == 200
    assert len(seen) <= 12
