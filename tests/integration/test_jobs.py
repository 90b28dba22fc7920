"""Background jobs: inline (tests' default), on a thread, and on RQ with the real Redis."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from referral_flow import clock
from referral_flow.jobs import JobFailed, JobResult, enqueue, progress, task
from referral_flow.jobs.worker import purge, work
from referral_flow.models import Job, JobFile, JobState, Member
from tests import factories
from tests.conftest import own_context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@task("test_count_lines")
def count_lines(ctx, *, unit_id: int, fail_at: int | None = None):
    """Adds one member per line of the uploaded file, reporting progress; fails on request
    after writing some (so that the test sees them rolled back)."""
    name, data = ctx.input_file()
    lines = data.decode().splitlines()
    for n, line in enumerate(lines, 1):
        if n == fail_at:
            raise JobFailed(f"Dòng {n} không đọc được.")
        factories.member(factories.db.session.get(factories.Organisation, unit_id), name=line)
        ctx.progress(n, len(lines))
    return JobResult(summary={"added": len(lines), "file": name, "by": ctx.owner.username,
                              "today": ctx.today.isoformat()},
                     file=("ket-qua.xlsx", b"PK-fake-xlsx", XLSX))


@task("test_crash")
def crash(ctx):
    raise ZeroDivisionError


def _job(db, job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _members(db) -> int:
    return len(db.session.scalars(select(Member.id)).all())


def test_an_inline_job_runs_at_once_and_only_its_owner_sees_it(world, db, client, auth):
    owner = world.users["union_chair_a"]
    job = enqueue("test_count_lines", owner=owner, params={"unit_id": world["unit_a"].id},
                  upload=("danh-sach.txt", "Nguyễn Văn An\nTrần Thị Bình\n".encode()),
                  title="Nhập thử")
    job = _job(db, job.id)
    assert job.state == JobState.done and job.summary == {
        "added": 2, "file": "danh-sach.txt", "by": owner.username,
        "today": factories.TODAY.isoformat()}
    assert job.input_sha256 and _members(db) == 2
    auth.login(owner.username)
    for _ in range(2):                      # a reload shows the same finished job
        page = client.get(f"/jobs/{job.id}")
        assert page.status_code == 200 and "Nhập thử" in page.text
        assert 'http-equiv="refresh"' not in page.text
    download = client.get(f"/jobs/{job.id}/download")
    assert download.data == b"PK-fake-xlsx"
    assert download.headers["Content-Disposition"] == 'attachment; filename="ket-qua.xlsx"'
    assert download.headers["Cache-Control"] == "no-store"
    assert "Nhập thử" in client.get("/jobs/").text
    auth.logout()
    auth.login(world.users["union_chair_b"].username)
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/download"):
        assert client.get(url).status_code == 404
    assert "Nhập thử" not in client.get("/jobs/").text


def test_a_failed_job_writes_nothing_and_says_why(world, db, client, auth):
    owner = world.users["union_chair_a"]
    before = _members(db)
    job = enqueue("test_count_lines", owner=owner,
                  params={"unit_id": world["unit_a"].id, "fail_at": 3},
                  upload=("a.txt", b"A\nB\nC\nD\n"), title="Nhập thử")
    job = _job(db, job.id)
    assert job.state == JobState.failed and job.error == "Dòng 3 không đọc được."
    assert _members(db) == before
    crashed = _job(db, enqueue("test_crash", owner=owner, title="Lỗi").id)
    assert crashed.state == JobState.failed and "Nothing was saved" not in crashed.error
    auth.login(owner.username)
    page = client.get(f"/jobs/{crashed.id}")
    assert "Không có gì được lưu" in page.text and "Traceback" not in page.text


def test_a_later_job_reads_an_earlier_upload_of_the_same_owner_only(world, db):
    owner, other = world.users["union_chair_a"], world.users["union_chair_b"]
    params = {"unit_id": world["unit_a"].id}
    first = enqueue("test_count_lines", owner=owner, params=params, upload=("a.txt", b"X\n"),
                    title="1")
    second = _job(db, enqueue("test_count_lines", owner=owner, params=params, input_of=first,
                              title="2").id)
    assert second.summary["file"] == "a.txt" and second.input_sha256 == first.input_sha256
    with pytest.raises(PermissionError):
        enqueue("test_count_lines", owner=other, params=params, input_of=first, title="3")


def test_a_thread_job_runs_beside_the_request(app, world, db):
    app.config["JOBS_MODE"] = "thread"
    job = enqueue("test_count_lines", owner=world.users["union_chair_a"],
                  params={"unit_id": world["unit_a"].id}, upload=("a.txt", b"A\nB\n"),
                  title="Nền")
    for thread in threading.enumerate():
        if thread.name == f"job-{job.id}":
            thread.join(timeout=30)
    assert _job(db, job.id).state == JobState.done and progress.read(job.id) == (2, 2)


def test_an_rq_job_waits_for_a_worker_shows_progress_and_its_result(rq_jobs, app, world, db,
                                                                     client, auth):
    owner = world.users["union_chair_a"]
    lines = "\n".join(f"Người {n}" for n in range(1, 41)).encode()
    job = enqueue("test_count_lines", owner=owner, params={"unit_id": world["unit_a"].id},
                  upload=("b.txt", lines), title="Qua hàng đợi")
    assert _job(db, job.id).state == JobState.queued
    auth.login(owner.username)
    waiting = client.get(f"/jobs/{job.id}")
    assert 'http-equiv="refresh"' in waiting.text and "<progress" in waiting.text
    with own_context(app, db):         # the worker: its own app context and session
        work(burst=True)
    done = _job(db, job.id)
    assert done.state == JobState.done and done.summary["added"] == 40
    assert progress.read(job.id) == (40, 40)        # kept in Redis, seen by any process
    assert client.get(f"/jobs/{job.id}/download").data == b"PK-fake-xlsx"


def test_purge_deletes_old_jobs_and_their_files_and_fails_abandoned_ones(app, world, db):
    owner = world.users["union_chair_a"]
    params = {"unit_id": world["unit_a"].id}
    old = enqueue("test_count_lines", owner=owner, params=params, upload=("a.txt", b"A\n"),
                  title="Cũ")
    reader = enqueue("test_count_lines", owner=owner, params=params, input_of=old, title="Đọc")
    app.config["JOBS_MODE"] = "rq-never-run"
    abandoned = Job(id="abandoned", owner_id=owner.id, kind="test_crash", title="Treo",
                    params={}, today=factories.TODAY.isoformat(), state=JobState.running,
                    created_at=clock.now() - timedelta(days=1))
    db.session.add(abandoned)
    old_job = _job(db, old.id)
    old_job.finished_at = clock.now() - timedelta(days=8)
    db.session.commit()
    assert purge(7) == 1
    db.session.commit()
    assert _job(db, old.id) is None and _job(db, reader.id).input_job_id is None
    assert db.session.scalars(select(JobFile).where(JobFile.job_id == old.id)).all() == []
    assert _job(db, "abandoned").state == JobState.failed


@task("test_read_only_check", read_only=True)
def read_only_check(ctx, *, url: str):
    """Reads, and meanwhile another connection writes: a read-only task holds no lock that
    would make it wait (on SQLite every other transaction begins IMMEDIATE)."""
    members = len(factories.db.session.scalars(select(Member.id)).all())
    other = create_engine(url, connect_args={"timeout": 0.5} if url.startswith("sqlite") else {})
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE organisation SET name = name || '' WHERE id = 1"))
    finally:
        other.dispose()
    return JobResult(summary={"members": members})


def test_a_read_only_task_lets_others_write_meanwhile(app, world, db):
    job = enqueue("test_read_only_check", owner=world.users["union_chair_a"], title="Kiểm tra",
                  params={"url": app.config["SQLALCHEMY_DATABASE_URI"]})
    done = _job(db, job.id)
    assert done.state == JobState.done, done.error
    assert done.summary == {"members": 0}
