"""Case lists longer than EXPORT_INLINE_ROWS are exported as background jobs: a page that
asks (POST) to start, the job's page, the same file as an inline export, logged the same."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from referral_flow.jobs.worker import work
from referral_flow.models import AuditEvent, Job, JobState

from ..conftest import csrf_token, logged_reads, own_context
from .test_exports import case_in, ids_of, login, parse

URLS = ["/cases/export?format=xlsx&state=draft", "/members/cases/export?format=csv"]


@pytest.fixture
def long_lists(app, world, db):
    """Three cases of unit A (and one of unit B) where the inline limit is two."""
    app.config["EXPORT_INLINE_ROWS"] = 2
    cases = [case_in(world, "unit_a") for _ in range(3)]
    case_in(world, "unit_b")
    db.session.commit()
    return {c.id for c in cases}


def _start(client, url):
    """The confirmation page, then its POST: the redirect to the job's page."""
    page = client.get(url)
    assert page.status_code == 200 and "3" in page.text and "<form" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    started = client.post(url, data={"csrf_token": csrf_token(page.text)})
    assert started.status_code == 302 and started.location.startswith("/jobs/")
    return started.location


@pytest.mark.parametrize("url", URLS)
def test_a_long_list_is_exported_in_the_background(long_lists, world, db, client, auth, url):
    login(auth, world, "union_chair_a")
    job_page = _start(client, url)
    assert "Đã xong" in client.get(job_page).text
    fmt = url.split("format=")[1].split("&")[0]
    download = client.get(f"{job_page}/download")
    assert ids_of(parse(download, fmt)) == long_lists
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject == "case_export")).one()
    job_id = job_page.rsplit("/", 1)[1]
    assert event.data["rows"] == 3 and event.data["job"] == job_id
    assert logged_reads(db)[-1].rows == 3


def test_starting_needs_the_form_token(long_lists, world, client, auth):
    login(auth, world, "union_chair_a")
    assert client.post(URLS[0]).status_code == 400


def test_a_short_list_is_still_a_direct_download(long_lists, app, world, client, auth):
    app.config["EXPORT_INLINE_ROWS"] = 3
    login(auth, world, "union_chair_a")
    response = client.get(URLS[0])
    assert ids_of(parse(response, "xlsx")) == long_lists


def test_the_export_job_runs_on_a_worker_with_the_owners_scope(long_lists, rq_jobs, app,
                                                               world, db, client, auth):
    login(auth, world, "union_chair_a")
    job_page = _start(client, URLS[0])
    job_id = job_page.rsplit("/", 1)[1]
    assert db.session.get(Job, job_id).state == JobState.queued
    with own_context(app, db):         # the worker: its own app context and session
        work(burst=True)
    db.session.expire_all()
    assert db.session.get(Job, job_id).state == JobState.done
    ws = load_workbook(io.BytesIO(client.get(f"{job_page}/download").data)).active
    assert {r[0].value for r in ws.iter_rows(min_row=2)} == long_lists
    auth.logout()
    login(auth, world, "union_chair_b")
    assert client.get(f"{job_page}/download").status_code == 404
