"""The filled forms (issue 12): every paper of a case at the step that produced its figures,
in PDF and DOCX, read back; a class's certificates; scope; the bulk job.

The first page of every PDF is drawn to a PNG so that a person can look at the layout: in
``$PAPERS_ARTIFACTS`` when set, else in the test run's temporary folder (printed)."""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from docx import Document as Docx
from pypdf import PdfReader
from sqlalchemy import select

from referral_flow.models import AuditEvent, Enrolment, EnrolmentResult, VoteKind
from referral_flow.papers.words import date_words, number_words

from .. import factories as f
from ..conftest import csrf_token, logged_reads

NAME = "Nguyễn Thị Ánh Tuyết"
# state reached -> the papers that step adds to the case page
STEPS = [("nominated", ["4a"]), ("certified", ["certificate"]), ("cell_review", ["5"]),
         ("committee_review", ["6"]), ("decision_pending", ["8"]), ("admitted", ["9"]),
         ("recognition_review", ["13"]), ("official", ["15", "16"])]


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    where = Path(os.environ.get("PAPERS_ARTIFACTS") or tmp_path_factory.mktemp("papers"))
    where.mkdir(parents=True, exist_ok=True)
    print(f"\npapers: first pages drawn in {where}")
    return where


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    cells = [p.text for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def draw(data: bytes, path: Path) -> None:
    pdf = pypdfium2.PdfDocument(data)
    try:
        pdf[0].render(scale=1.2).to_pil().save(path)
    finally:
        pdf.close()


def login(auth, world, key):
    auth.login(world.users[key].username)


def expected(case, key) -> list[str]:
    """What the paper must print: the names, and the figures and dates it records."""
    wanted = [NAME, case.union_unit.name.upper() if key == "4a" else case.member.full_name]
    kinds = {"4a": VoteKind.union_committee, "6": VoteKind.cell, "8": VoteKind.committee,
             "13": VoteKind.recognition_cell, "15": VoteKind.recognition_committee}
    if key in kinds:
        v = case.latest_vote(kinds[key])
        wanted += [f"{v.votes_for}/{v.eligible}",
                   f"({number_words(v.votes_for)} trên {number_words(v.eligible)})",
                   date_words(v.held_on), v.resolution_no]
    if key in ("6", "13", "5"):
        wanted.append(case.host_cell.name)
    if key == "9":
        wanted += [case.decision_no, date_words(case.decision_on), case.host_cell.name]
    if key == "16":
        wanted.append(date_words(case.official_from))
    if key == "certificate":
        wanted.append(date_words(case.certified_on))
    return wanted


def test_every_paper_of_a_case_at_its_step_in_both_formats(world, db, client, auth,
                                                           artefacts):
    login(auth, world, "competent_officer_a")
    for state, keys in STEPS:
        case = f.new_case(world)
        case.member.full_name = NAME
        f.advance(case, world, state)
        db.session.commit()
        page = client.get(f"/cases/{case.id}")
        for key in keys:
            for fmt in ("pdf", "docx"):
                url = f"/cases/{case.id}/papers/{key}.{fmt}"
                assert url in page.text, (state, key)
                got = client.get(url)
                assert got.status_code == 200, (key, fmt)
                assert "attachment" in got.headers["Content-Disposition"]
                text = flat(pdf_text(got.data) if fmt == "pdf" else docx_text(got.data))
                for want in expected(case, key):
                    assert flat(want) in text, (key, fmt, want)
                if fmt == "pdf":
                    assert got.mimetype == "application/pdf"
                    draw(got.data, artefacts / f"{key}.png")
    assert "T/M CHI BỘ" in pdf_text(client.get(f"/cases/{case.id}/papers/6.pdf").data)


def test_papers_are_scoped_like_the_case_page_and_logged(world, db, client, auth):
    case = f.advance(f.new_case(world), world, "nominated")
    db.session.commit()
    login(auth, world, "party_officer_b")
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/papers/4a.pdf").status_code == 404
    auth.logout()
    login(auth, world, "party_officer_a")
    assert client.get(f"/cases/{case.id}/papers/6.pdf").status_code == 404   # not yet
    assert client.get(f"/cases/{case.id}/papers/4a.txt").status_code == 404
    assert client.get(f"/cases/{case.id}/papers/4a.docx").status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "paper")).one()
    assert event.data["case"] == case.id and event.data["format"] == "docx"
    assert logged_reads(db)[-1].rows == 1


def test_a_class_prints_a_certificate_per_certified_member(world, db, client, auth,
                                                           artefacts):
    cases = [f.advance(f.new_case(world), world, "certified") for _ in range(3)]
    db.session.commit()
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.case_id.in_([c.id for c in cases]))).all()
    klass = enrolments[0].awareness_class
    passed = db.session.scalars(select(Enrolment).where(
        Enrolment.class_id == klass.id, Enrolment.result == EnrolmentResult.passed)).all()
    login(auth, world, "class_organiser_a")
    assert f"/classes/{klass.id}/certificates.pdf" in client.get(f"/classes/{klass.id}").text
    got = client.get(f"/classes/{klass.id}/certificates.pdf")
    assert got.status_code == 200
    assert len(PdfReader(io.BytesIO(got.data)).pages) == len(passed) >= 3
    draw(got.data, artefacts / "class-certificates.png")
    text = flat(pdf_text(got.data))
    assert all(e.case.member.full_name in text and e.certificate_no in text for e in passed)
    docx = client.get(f"/classes/{klass.id}/certificates.docx")
    assert all(e.case.member.full_name in docx_text(docx.data) for e in passed)
    auth.logout()
    login(auth, world, "class_organiser_b")
    assert client.get(f"/classes/{klass.id}/certificates.pdf").status_code == 404


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_paper_of_every_listed_case_as_a_background_job(world, db, client, auth, fmt):
    cases = [f.advance(f.new_case(world), world, "committee_review") for _ in range(2)]
    f.new_case(world)                   # a draft: no 6-KNĐ, left out
    db.session.commit()
    login(auth, world, "party_officer_a")
    page = client.get("/cases/")
    started = client.post("/cases/papers", data={
        "csrf_token": csrf_token(page.text), "paper": "6", "fmt": fmt})
    assert started.status_code == 302 and started.location.startswith("/jobs/")
    assert "Đã xong" in client.get(started.location).text
    data = client.get(f"{started.location}/download").data
    if fmt == "pdf":
        text = pdf_text(data)
        assert len(PdfReader(io.BytesIO(data)).pages) == 2
    else:
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert len(archive.namelist()) == 2
        text = "\n".join(docx_text(archive.read(n)) for n in archive.namelist())
    assert all(c.member.full_name in text for c in cases)
    assert client.post("/cases/papers", data={"paper": "6", "fmt": fmt}).status_code == 400
