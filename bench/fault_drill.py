"""Faults and recovery: kill -9 a gunicorn worker, and in some rounds PostgreSQL, in the
middle of a stream of concurrent transitions; then check that every acknowledged
transition is there, none half-written, and the audit chain intact.

    python bench/fault_drill.py [--rounds 20] [--postgres-every 4] [--threads 4]
                                [--workers 3] [--cases 1200] [--seconds 4]

Everything runs in a temporary folder, removed at the end: its own PostgreSQL cluster
(initdb, binaries from PG_BIN, default /usr/lib/postgresql/15/bin, on a free port; as the
``postgres`` system user when run as root, which initdb refuses) and its own gunicorn with
the repository's gunicorn.conf.py under the production configuration, on a free port.
The machine's own PostgreSQL and Redis are never touched.

The stream: ``--threads`` Party officers' browsers (one login each) take nominated cases
back to the union (``return_to_union``: permission, compare-and-set on the version, the
audit event, one transaction), each a GET of the case page then the form's POST. A
transition is *acknowledged* when the POST answers 303/302 to the case page with the
"Saved" flash in its session cookie, as a browser would show it. Each round kills one
worker (round-robin over the current ones) halfway through; every ``--postgres-every``-th
round also kills the postmaster and starts it again (crash recovery).
"""
from __future__ import annotations

import argparse
import http.client
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import create_engine, func, select, text, update

from bench.http_client import csrf_token
from referral_flow import create_app
from referral_flow.config import ProductionConfig
from referral_flow.extensions import db
from referral_flow.models import AuditEvent, Case, TotpFactor, User

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
TRIGGER = "return_to_union"
FIELD = re.compile(rf'name="{TRIGGER}-(csrf_token|version)"[^>]*value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (name) state ppid ...": the name may hold spaces; split after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


# --- PostgreSQL ----------------------------------------------------------------------------

class Postgres:
    """A throw-away cluster in ``folder``; the postmaster is started directly (not through
    pg_ctl) so that the drill holds its pid."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.data, self.log = folder / "pgdata", folder / "postgres.log"
        self.user = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else None
        self.process: subprocess.Popen | None = None
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/drill"

    def _run(self, *args) -> subprocess.Popen:
        with self.log.open("a") as log:
            return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                                    user=self.user, start_new_session=True)

    def init(self) -> None:
        if self.user is not None:
            os.chown(self.folder, self.user, -1)
        if self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                     "--auth=trust", "--no-sync", "-E", "UTF8").wait() != 0:
            raise RuntimeError(f"initdb failed: {self.log.read_text()}")
        self.start()
        admin = create_engine(self.url.rsplit("/", 1)[0] + "/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE drill"))
        admin.dispose()

    def start(self) -> None:
        """Start the postmaster; after a kill -9 its orphaned backends may hold the shared
        memory for a moment, so a refused start is tried again."""
        deadline = time.monotonic() + 60
        while True:
            self.process = self._run(
                str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "max_connections=80", "-c", "fsync=on", "-c", "synchronous_commit=on")
            while self.process.poll() is None:
                ready = subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1",
                                        "-p", str(self.port), "-U", "postgres"], check=False)
                if ready.returncode == 0:
                    return
                time.sleep(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not restart: {self.log.read_text()[-2000:]}")
            time.sleep(0.5)

    def kill9(self) -> int:
        pid = self.process.pid
        os.kill(pid, signal.SIGKILL)
        self.process.wait()
        return pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)        # fast shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the application -------------------------------------------------------------------------

def production_env(url: str, key: str, folder: Path) -> dict[str, str]:
    """The production environment of the drill's processes (the key serves as the secret
    and the audit key; the audit checkpoints go to the drill's folder)."""
    return {"PATH": os.environ.get("PATH", ""), "REFERRAL_FLOW_ENV": "production",
            "SECRET_KEY": key, "AUDIT_KEY": key, "DATABASE_URL": url,
            "AUDIT_ANCHOR_FILE": str(folder / "audit-anchors.log")}


def flask_command(url: str, key: str, folder: Path, *command: str):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=REPO,
                          env=production_env(url, key, folder), capture_output=True, text=True,
                          check=False)


def build_world(url: str, key: str, folder: Path, cases: int) -> tuple[str, str, list[int]]:
    """Migrate the drill's database (`flask db upgrade` under production, as the README
    does) and fill it: the test suite's two-sided world and ``cases`` nominated cases.
    Returns the Party officer's username, password and the cases."""
    from tests import factories
    flask_command(url, key, folder, "db", "upgrade").check_returncode()
    config = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    # Fast hashing while filling (the accounts still open under production's checks).
    app = create_app(config | {"SECRET_KEY": key, "AUDIT_KEY": key, "SQLALCHEMY_DATABASE_URI": url,
                               "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        world = factories.build_world()
        ids = []
        for _ in range(cases):
            case = factories.new_case(world, start=factories.TODAY - timedelta(days=60))
            factories.advance(case, world, "nominated", today=factories.TODAY)
            ids.append(case.id)
        db.session.commit()
        officer = world.users["party_officer_a"].username
        db.session.remove()
        db.engine.dispose()
    return officer, "correct horse battery", ids


def totp_code(url: str, username: str) -> str:
    """A code the server accepts now for one of the world's users (enrolled by the test
    factories with a known secret). The browsers sign in as the same officer within one
    30-second step, and a step is accepted once, so the used step is forgotten first, as
    the test suite's sign-in helper does."""
    import pyotp
    from tests import factories
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(TotpFactor).where(TotpFactor.user_id == select(User.id).where(
            User.username == username).scalar_subquery()).values(last_step=None))
    engine.dispose()
    return pyotp.TOTP(factories.TOTP_SECRET).now()


class Gunicorn:
    def __init__(self, folder: Path, env: dict[str, str], workers: int):
        self.port, self.log = free_port(), folder / "gunicorn.log"
        self.env, self.workers = env, workers
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"),
                 "--no-control-socket", "-b", f"127.0.0.1:{self.port}",
                 "-w", str(self.workers), "wsgi:app"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)
        deadline = time.monotonic() + 60
        while len(children_of(self.process.pid)) < self.workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill9_worker(self, turn: int) -> int:
        workers = children_of(self.process.pid)
        pid = workers[turn % len(workers)]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the stream of transitions ----------------------------------------------------------------

@dataclass
class Tally:
    acknowledged: list[tuple[int, int]] = field(default_factory=list)   # (case, version before)
    answers: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, what) -> None:
        with self.lock:
            self.answers[what] += 1


class Browser:
    """One signed-in user: a keep-alive connection and the session cookie, reconnecting
    after a reset (a killed worker)."""

    def __init__(self, port: int, reader: Flask):
        self.port, self.cookie, self.reader = port, "", reader
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: str | None = None):
        """(status, Location, page, whether the answer set a new session cookie)."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            page = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        set_cookie = False
        for name, value in response.getheaders():
            # The cookie is Secure (production); this client sends it over plain HTTP.
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].removeprefix("session=")
                set_cookie = True
        return response.status, response.getheader("Location", ""), page, set_cookie

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def flashes(self) -> list:
        serializer = SecureCookieSessionInterface().get_signing_serializer(self.reader)
        return serializer.loads(self.cookie).get("_flashes", []) if self.cookie else []

    def login(self, username: str, password: str, code) -> None:
        """Sign in: the password, then the second factor's ``code()``."""
        from urllib.parse import urlencode
        location = "/login"
        for fields in ({"username": username, "password": password}, {"code": code()}):
            _, _, page, _ = self.request("GET", location)
            status, location, _, _ = self.request("POST", location, urlencode(
                {"csrf_token": csrf_token(page), **fields}))
            if status not in (302, 303):
                raise RuntimeError(f"login refused ({status})")
            if not location.startswith("/login"):
                return
        raise RuntimeError(f"login refused (sent to {location})")


def take_back(browser: Browser, case_id: int, tally: Tally) -> bool:
    """GET the case page, POST its return-to-union form; record the acknowledgement.
    False when the user would try again (the server or the database did not answer)."""
    from urllib.parse import urlencode
    status, _, page, _ = browser.request("GET", f"/cases/{case_id}")
    fields = dict(FIELD.findall(page))
    if status != 200 or len(fields) < 2:
        # A 200 without the form: a step whose answer was lost had been recorded after all.
        tally.answer(f"GET {status}" + ("" if status != 200 else ", already taken back"))
        return status == 200
    form = urlencode({f"{TRIGGER}-csrf_token": fields["csrf_token"],
                      f"{TRIGGER}-version": fields["version"],
                      f"{TRIGGER}-comment": "Diễn tập sự cố: trả lại công đoàn"})
    status, location, _, set_cookie = browser.request("POST", f"/cases/{case_id}/{TRIGGER}",
                                                      form)
    tally.answer(f"POST {status}")
    saved = set_cookie and any(category == "info" for category, _ in browser.flashes())
    if status in (302, 303) and location.endswith(f"/cases/{case_id}") and saved:
        with tally.lock:
            tally.acknowledged.append((case_id, int(fields["version"])))
    return status < 500 and status != 429


def stream(browser: Browser, queue: list[int], stop: threading.Event, tally: Tally):
    while not stop.is_set():
        with tally.lock:
            if not queue:
                return
            case_id = queue.pop()
        try:
            done = take_back(browser, case_id, tally)
        except (OSError, http.client.HTTPException):
            tally.answer("connection lost")
            done = False
        if not done:            # the user waits a moment, then reloads the case and tries again
            with tally.lock:
                queue.append(case_id)
            time.sleep(0.2)


# --- the check afterwards -----------------------------------------------------------------------

# The last line of a logged traceback: "sqlalchemy.exc.IntegrityError: (…) …".
EXCEPTION_LINE = re.compile(r"^[a-z_]+(\.\w+)+: ")


def server_errors(log: Path) -> Counter:
    """The exceptions behind gunicorn's 500 answers, counted (a 503 logs no traceback)."""
    return Counter(line[:160] for line in log.read_text().splitlines()
                   if EXCEPTION_LINE.match(line))

def check(url: str, key: str, folder: Path, acknowledged: list[tuple[int, int]]) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        cases = dict(conn.execute(select(Case.id, Case.state)).all())
        versions = dict(conn.execute(select(Case.id, Case.version)).all())
        taken_back = set(conn.scalars(select(AuditEvent.case_id).where(
            AuditEvent.trigger == TRIGGER)))
        # Each case's latest event that moved it: the case's state must be where it landed.
        latest = select(AuditEvent.case_id, func.max(AuditEvent.id).label("id")).where(
            AuditEvent.to_state.is_not(None), AuditEvent.case_id.is_not(None)).group_by(
            AuditEvent.case_id).subquery()
        landed = dict(conn.execute(select(AuditEvent.case_id, AuditEvent.to_state).join(
            latest, AuditEvent.id == latest.c.id)).all())
    engine.dispose()
    found = sum(1 for case_id, version in acknowledged
                if cases[case_id] == "draft" and versions[case_id] > version
                and case_id in taken_back)
    half = sum(1 for case_id, state in cases.items() if landed.get(case_id) != state)
    verify = flask_command(url, key, folder, "audit", "verify")
    chain = (verify.stdout + verify.stderr).strip().splitlines()
    return {"found": found, "half_written": half, "committed": len(taken_back),
            "chain_ok": verify.returncode == 0, "chain": chain[-1] if chain else ""}


# --- the drill ------------------------------------------------------------------------------------

def drill(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="rf_fault_drill_"))
    key = secrets.token_hex(32)
    postgres = Postgres(folder)
    server, browsers = None, []
    try:
        postgres.init()
        officer, password, ids = build_world(postgres.url, key, folder, args.cases)
        # A checkpoint before the faults: verify compares the chain with it at the end.
        flask_command(postgres.url, key, folder, "audit", "anchor").check_returncode()
        server = Gunicorn(folder, production_env(postgres.url, key, folder), args.workers)
        server.start()
        reader = Flask("fault_drill")
        reader.secret_key = key
        tally, queue = Tally(), list(reversed(ids))
        browsers += [Browser(server.port, reader) for _ in range(args.threads)]
        for browser in browsers:
            browser.login(officer, password, lambda: totp_code(postgres.url, officer))
        print(f"PostgreSQL {PG_BIN.parent.name} on :{postgres.port}, gunicorn "
              f"{args.workers} workers on :{server.port}, {len(ids)} nominated cases, "
              f"{args.threads} browsers", flush=True)
        print(f"{'round':>5} {'killed':<26} {'acknowledged':>12}", flush=True)
        postgres_kills = 0
        for turn in range(args.rounds):
            before = len(tally.acknowledged)
            stop = threading.Event()
            threads = [threading.Thread(target=stream, args=(browser, queue, stop, tally))
                       for browser in browsers]
            for thread in threads:
                thread.start()
            time.sleep(args.seconds / 2)
            killed = [f"worker {server.kill9_worker(turn)}"]
            if args.postgres_every and turn % args.postgres_every == args.postgres_every - 1:
                killed.append(f"postmaster {postgres.kill9()}")
                postgres_kills += 1
                time.sleep(0.5)
                postgres.start()
            time.sleep(args.seconds / 2)
            stop.set()
            for thread in threads:
                thread.join()
            print(f"{turn + 1:>5} {' + '.join(killed):<26} "
                  f"{len(tally.acknowledged) - before:>12}", flush=True)
        for browser in browsers:         # no idle keep-alive connection delays the stop
            browser.close()
        server.stop()
        result = check(postgres.url, key, folder, tally.acknowledged)
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(tally.answers.items()))
        print(f"\nrounds: {args.rounds} (a gunicorn worker killed in each, PostgreSQL in "
              f"{postgres_kills})")
        print(f"answers: {answers}")
        print(f"transitions acknowledged: {len(tally.acknowledged)}")
        print(f"transitions found: {result['found']}")
        print(f"committed without an acknowledgement: "
              f"{result['committed'] - len(tally.acknowledged)}")
        print(f"half-written: {result['half_written']}")
        print(f"audit chain: {'intact' if result['chain_ok'] else 'BROKEN'} ({result['chain']})")
        for line, count in server_errors(server.log).most_common():
            print(f"server error x{count}: {line}")
        return 0 if (result["found"] == len(tally.acknowledged) and not result["half_written"]
                     and result["chain_ok"]) else 1
    finally:
        for browser in browsers:
            browser.close()
        if server:
            server.stop()
        postgres.stop()
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in folder.glob("*.log"):
                shutil.copy(log, args.logs / log.name)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres-every", type=int, default=4,
                        help="kill PostgreSQL too in every n-th round (0: never)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--cases", type=int, default=800)
    parser.add_argument("--seconds", type=float, default=4, help="length of a round")
    parser.add_argument("--logs", type=Path, help="keep gunicorn's and PostgreSQL's logs here")
    return drill(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
