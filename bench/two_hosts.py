"""Two app servers sharing one PostgreSQL and one Redis: what a user does on one is true on
the other (docs/scaling.md tried).

    python bench/two_hosts.py [--workers 2] [--cases 30] [--db-name rf_two_hosts]
                              [--logs DIR]

On a fresh database (``--db-name`` on ``BENCH_PG_URL``, dropped at the end; built as
bench/fault_drill.py builds its own: ``flask db upgrade`` under production, the test suite's
two-sided world, ``--cases`` nominated cases) it starts two gunicorn servers, "host A" and
"host B", each with the repository's gunicorn.conf.py under the production configuration
and the same DATABASE_URL, REDIS_URL (the machine's Redis; a queue of the run's own),
SECRET_KEY and AUDIT_KEY. When ``nginx`` is on PATH it also starts one, round-robin over
the two, configured as docs/scaling.md's example (``TRUSTED_PROXIES=1``); otherwise it says
so and the checks hit the two ports directly, as they do anyway for what must cross hosts.

Checks, each printed PASS or FAIL (the exit status is 1 on any FAIL):

1. a Party officer signed in through A (password, then the second factor) is signed in on B;
2. a transition (``return_to_union``) POSTed on A is seen on B;
3. a case-list export POSTed on A (queued: longer than ``EXPORT_INLINE_ROWS``) is done by a
   separate ``flask jobs worker --burst`` process, shown done and downloadable on B;
4. (with nginx) a browser signed in through the proxy is served by both hosts;
5. failed sign-ins of one username (the run's own), alternately on A and B, are throttled
   together (the sixth within the minute answers 429), while another username from the
   same address is not;
6. ``flask audit verify`` passes afterwards (against a checkpoint written before the run,
   as the anchor cron would).

Each browser connects from an address of its own in 127.0.0.0/8, so that a run a few
seconds after another does not meet its per-address counters in the shared Redis.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask

from bench.fault_drill import (
    FIELD, REPO, Browser, Gunicorn, Tally, build_world, free_port, production_env, take_back,
    totp_code, wait_for_port)
from bench.http_client import csrf_token
from bench.reports import fresh_database
from bench.worker import REDIS_URL, drop_queue

NGINX_CONF = """\
{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream referral_flow {{
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 16m;
        location / {{
            proxy_pass http://referral_flow;
            proxy_read_timeout 130s;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


class From(Browser):
    """A browser connecting from its own loopback address (the server's client address)."""

    def __init__(self, port: int, reader: Flask):
        super().__init__(port, reader)
        self.source = "127." + ".".join(str(random.randint(1, 254)) for _ in range(3))

    def request(self, method: str, path: str, body: str | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                         source_address=(self.source, 0))
        return super().request(method, path, body)

    def on(self, port: int) -> From:
        """The same browser (cookie, address), talking to another server."""
        self.close()
        self.port = port
        return self

    def post_form(self, path: str, fields: dict) -> tuple[int, str, str]:
        _, _, page, _ = self.request("GET", path)
        status, location, page, _ = self.request(
            "POST", path, urlencode({"csrf_token": csrf_token(page), **fields}))
        return status, location, page


def flask(env: dict, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False)


class Nginx:
    def __init__(self, folder: Path, port_a: int, port_b: int):
        self.folder, self.port = folder, free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""     # its workers reach the folder
        (folder / "nginx.conf").write_text(NGINX_CONF.format(
            user=user, folder=folder, port=self.port, port_a=port_a, port_b=port_b))
        self.process = subprocess.Popen(
            ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.port, 20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def served(server: Gunicorn, path: str) -> int:
    """How many requests for ``path`` the server's access log holds."""
    return sum(f'"GET {path} ' in line for line in server.log.read_text().splitlines())


def trial(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="rf_two_hosts_"))
    key, queue = secrets.token_hex(32), f"rf-two-hosts-{uuid.uuid4().hex[:8]}"
    nginx_found = shutil.which("nginx") is not None
    hosts: list[Gunicorn] = []
    browsers: list[From] = []
    proxy = None
    report = Report()
    try:
        with fresh_database("postgresql", args.db_name) as url:
            officer, password, ids = build_world(url, key, folder, args.cases)
            # The same settings on every host, worker and cron job (docs/scaling.md).
            env = production_env(url, key, folder) | {
                "REDIS_URL": REDIS_URL, "JOBS_QUEUE": queue, "EXPORT_INLINE_ROWS": "5",
                "TRUSTED_PROXIES": "1" if nginx_found else "0"}
            anchored = flask(env, "audit", "anchor")       # the cron's first checkpoint
            if anchored.returncode:
                raise RuntimeError(f"audit anchor failed: {anchored.stderr}")
            for name in ("a", "b"):
                (folder / name).mkdir()
                hosts.append(Gunicorn(folder / name, env, args.workers))
                hosts[-1].start()
            a, b = (host.port for host in hosts)
            if nginx_found:
                proxy = Nginx(folder, a, b)
                where = f"nginx :{proxy.port} round-robin over both"
            else:
                where = "nginx not on PATH: no proxy, the two ports directly"
            print(f"PostgreSQL database {args.db_name}, Redis {REDIS_URL} (queue {queue}), "
                  f"host A gunicorn :{a}, host B gunicorn :{b} ({args.workers} workers x "
                  f"gthread each), {where}; {len(ids)} nominated cases", flush=True)
            reader = Flask("two_hosts")
            reader.secret_key = key

            def code() -> str:
                return totp_code(url, officer)

            # 1. the session
            browser = From(a, reader)
            browsers.append(browser)
            browser.login(officer, password, code)
            status, location, _, _ = browser.on(b).request("GET", "/cases/")
            report.check("signed in on A, signed in on B", status == 200,
                         f"GET /cases/ on B answered {status}"
                         + (f" -> {location}" if location else ""))

            # 2. a transition
            case_id = ids[0]
            _, _, page, _ = browser.on(b).request("GET", f"/cases/{case_id}")
            offered_on_b = dict(FIELD.findall(page)).get("version")
            tally = Tally()
            take_back(browser.on(a), case_id, tally)
            status, _, page, _ = browser.on(b).request("GET", f"/cases/{case_id}")
            gone_on_b = status == 200 and not FIELD.findall(page)
            report.check("transition POSTed on A, seen on B",
                         bool(offered_on_b and tally.acknowledged and gone_on_b),
                         f"case {case_id}: B offered return_to_union at version {offered_on_b}; "
                         f"A acknowledged {len(tally.acknowledged)}; B then shows "
                         f"{'no form' if gone_on_b else 'the form still'} ({status})")

            # 3. an export job: queued on A, worked elsewhere, fetched on B
            status, location, _ = browser.on(a).post_form("/cases/export?format=csv", {})
            job = location.rstrip("/").rsplit("/", 1)[-1] if "/jobs/" in location else None
            worked = flask(env, "jobs", "worker", "--burst")
            page_status, _, page, _ = browser.on(b).request("GET", f"/jobs/{job}")
            got, _, csv, _ = browser.request("GET", f"/jobs/{job}/download")
            rows = max(len(csv.strip().splitlines()) - 1, 0)
            report.check("export queued on A, worked by a separate worker, downloaded on B",
                         bool(job) and worked.returncode == 0 and page_status == 200
                         and f"/jobs/{job}/download" in page and got == 200 and rows > 5,
                         f"POST {status} -> job {job}; worker exit {worked.returncode}; "
                         f"B's job page {page_status}, download {got}, {rows} rows")

            # 4. through the proxy
            if proxy:
                before = [served(host, "/inbox/") for host in hosts]
                proxied = From(proxy.port, reader)
                browsers.append(proxied)
                proxied.login(officer, password, code)
                statuses = [proxied.request("GET", "/inbox/")[0] for _ in range(6)]
                time.sleep(0.5)         # the access logs are written after the answers
                shares = [served(host, "/inbox/") - n
                          for host, n in zip(hosts, before, strict=True)]
                report.check("signed in through nginx, served by both hosts",
                             set(statuses) == {200} and all(shares),
                             f"6 GET /inbox/ answered {sorted(set(statuses))}, served A "
                             f"{shares[0]}, B {shares[1]}")
            else:
                print("SKIP  proxy: nginx is not on PATH")

            # 5. sign-in throttling in the shared Redis
            # The counter is keyed by the username as typed: a name of the run's own, so that
            # a run within a minute of another starts from zero (and the officer is spared).
            guesser, target = From(a, reader), f"guess-{uuid.uuid4().hex[:8]}"
            browsers.append(guesser)
            answers = []
            for turn in range(6):
                status, _, _ = guesser.on((a, b)[turn % 2]).post_form(
                    "/login", {"username": target, "password": "not the password"})
                answers.append(status)
            other, _, _ = guesser.on(a).post_form(
                "/login", {"username": target + "-other", "password": "not the password"})
            report.check("failed sign-ins counted across A and B",
                         answers[:5] == [200] * 5 and answers[5] == 429 and other == 200,
                         f"{target} on A,B,A,B,A,B answered {answers}; another name then "
                         f"{other}")

            # 6. the chain
            for each in browsers:
                each.close()
            verified = flask(env, "audit", "verify")
            said = (verified.stdout + verified.stderr).strip().replace("\n", "; ")
            report.check("flask audit verify afterwards", verified.returncode == 0, said)
            for host in hosts:
                host.stop()
    finally:
        for each in browsers:
            each.close()
        if proxy:
            proxy.stop()
        for host in hosts:
            host.stop()
        drop_queue(queue)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in folder.rglob("*.log"):
                shutil.copy(log, args.logs / f"{log.parent.name}-{log.name}")
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{report.failed} check(s) failed")
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--db-name", default="rf_two_hosts",
                        help="the database created (and dropped) on BENCH_PG_URL")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    return trial(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
