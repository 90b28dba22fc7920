"""Every role's pages under gunicorn, as ratios to a bare Flask app measured in the same run.

    python bench/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/rf_bench_1x \\
        [--scale 1x] [--workers 2] [--clients 8] [--seconds 10] [--rounds 3] [--runs 20] \\
        [--posts 100] [--quick] [--json OUT]

The database is built beforehand (bench/build.py --scale 1x|10x|national); the script adds
the bench's users when missing (bench/setup.py) and drops nothing. It changes the data as
real use would: each staff GET of a case page appends a case_read audit event, and the
transition phase extends up to --posts decision_pending cases (once each, so repeated runs
use up a database's supply; rebuild it with bench/build.py). --quick is a smoke run (2 s
loads, one round, 3 requests per page, 5 POSTs). Requires wrk (``apt-get install -y wrk``);
without it a Python client measures, with a warning.

One run, in this order:

1. the app (bench/serve.py: ProductionConfig with rate limiting off, plain-HTTP cookies and
   an X-SQL-Count header) and the bare hello app (bench/hello.py) under the same gunicorn
   command: --workers sync workers each, an access log with each request's ``%(D)s``;
2. targets chosen by SQL (select_targets): for each staff user a case in his scope (the
   latest in probation: a long timeline), the competent officer's decision_pending cases
   not yet extended; the chair's CĐCS and the candidate come from bench/setup.py;
3. single requests: one warm-up round, then --runs rounds over every page, one request at a
   time, interleaved. "server ms" is gunicorn's ``%(D)s`` of that very request (joined by
   an X-Bench-Id header), "client ms" adds the loopback HTTP; statements from X-SQL-Count;
4. transition POSTs (perf.md §3.1): GET the case page, read the extend_decision form
   (CSRF token, version, date), give a reason, POST; server time of the POST;
5. under load: --rounds rounds of hello then every list, inbox, case page and /me/, each
   ``wrk -t2 -c<clients> -d<seconds>s``; after each app page the workers are drained (probes
   until they answer fast again: a sync worker still serves what wrk queued, perf.md §3.3).
   req/s, p50 and p95 are medians over the rounds; "ratio" is the median over the rounds of
   the page's req/s ÷ hello's req/s of the same round (ratios, not absolute times, are
   comparable across runs on a shared machine);
6. VmRSS and VmHWM of every gunicorn worker after the load.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench import load
from bench.gunicorn_run import Server, start
from bench.http_client import Client, form_fields
from bench.serve import config as serve_config
from bench.setup import PASSWORD, create_bench_users
from bench.tables import markdown, num, percentile, ratio
from referral_flow import clock, create_app

TRIGGER = "extend_decision"
REASON = "Chờ kết quả thẩm tra lý lịch (bench)."
HELLO = "bare Flask hello"


@dataclass
class Page:
    label: str
    user: str | None            # None: anonymous (the hello app)
    path: str
    under_load: bool
    status: int | None = None
    size: int | None = None
    sql: int | None = None
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    load: list[dict] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        def med(key):
            values = [x[key] for x in self.load if x[key] is not None]
            return statistics.median(values) if values else None

        return {
            "label": self.label, "path": self.path, "status": self.status, "bytes": self.size,
            "sql": self.sql, "server_p50_ms": percentile(self.server_ms, 50),
            "server_p95_ms": percentile(self.server_ms, 95),
            "client_p50_ms": percentile(self.client_ms, 50),
            "rps": med("rps"), "load_p50_ms": med("p50_ms"), "load_p95_ms": med("p95_ms"),
            "ratio": statistics.median(self.ratios) if self.ratios else None,
            "errors": sum(x["err_status"] + x["err_sock"] for x in self.load)}


# --- targets ------------------------------------------------------------------------------

def grant_of(conn, username: str) -> dict:
    row = conn.execute(text(
        "SELECT g.role, g.org_id, o.tree, o.path FROM user_account u "
        "JOIN role_grant g ON g.user_id = u.id LEFT JOIN organisation o ON o.id = g.org_id "
        "WHERE u.username = :u ORDER BY g.id LIMIT 1"), {"u": username}).one()
    return dict(row._mapping)


def scoped_cases(conn, grant: dict, where: str, limit: int) -> list[int]:
    """Ids of the cases in ``grant``'s subtree matching ``where``, newest first for a read
    and oldest first (ids ascending) for the transitions (``limit`` > 1)."""
    column = "union_unit_id" if grant["tree"] == "union" else "party_org_id"
    order = "DESC" if limit == 1 else "ASC"
    return list(conn.execute(text(
        f"SELECT c.id FROM referral_case c JOIN organisation o ON o.id = c.{column} "
        f"WHERE o.path LIKE :p AND {where} ORDER BY c.id {order} LIMIT :n"),
        {"p": grant["path"] + "%", "n": limit}).scalars())


def select_targets(conn, users: dict[str, str], year: int) -> tuple[list[Page], dict | None]:
    """The pages of every user, and the competent officer's transition targets."""
    pages, posts = [], None
    for key, username in users.items():
        grant = grant_of(conn, username)
        if grant["role"] == "member":
            pages.append(Page(f"/me/ ({key})", username, "/me/", True))
            continue
        pages += [Page(f"case list ({key})", username, "/cases/", True),
                  Page(f"inbox ({key})", username, "/inbox/", True)]
        case = (scoped_cases(conn, grant, "c.state = 'probation'", 1)
                or scoped_cases(conn, grant, "TRUE", 1))
        if case:
            pages.append(Page(f"case page ({key})", username, f"/cases/{case[0]}", True))
        if grant["role"] == "federation_officer":
            pages += [Page(f"achievement {year} ({key})", username,
                           f"/reports/achievement?year={year}", False),
                      Page(f"cohort {year} ({key})", username, f"/reports/cohort?year={year}",
                           False)]
        if grant["role"] == "party_officer":
            pages.append(Page(f"Party dashboard ({key})", username,
                              f"/reports/party?node={grant['org_id']}", False))
        if grant["role"] in ("federation_officer", "party_officer"):
            pages.append(Page(f"workflow diagram ({key})", username, "/workflow/", False))
        if grant["role"] == "competent_officer" and posts is None:
            posts = {"user": username, "grant": grant}
    return pages, posts


# --- phases -------------------------------------------------------------------------------

def single_requests(pages: list[Page], clients: dict, servers: dict, runs: int) -> None:
    """One warm-up round, then ``runs`` rounds of one request per page, interleaved."""
    tags: list[tuple[Page, str, float]] = []
    for round_no in range(runs + 1):
        for i, page in enumerate(pages):
            tag = f"single-{round_no}-{i}"
            answer = clients[page.user].request("GET", page.path, tag=tag)
            page.status, page.size, page.sql = answer.status, len(answer.body), answer.sql
            if round_no:
                tags.append((page, tag, answer.ms))
    time.sleep(0.5)                 # the access log of the last request
    logged = servers["app"].server_times() | servers["hello"].server_times()
    for page, tag, ms in tags:
        page.client_ms.append(ms)
        if tag in logged:
            page.server_ms.append(logged[tag])


def transitions(conn, client: Client, server: Server, grant: dict, count: int) -> dict:
    """``count`` extend_decision POSTs through the case page's own form."""
    ids = scoped_cases(conn, grant, "c.state = 'decision_pending' AND NOT c.decision_extended",
                       count * 2)
    done, skipped = [], 0
    for case_id in ids:
        if len(done) >= count:
            break
        page = client.request("GET", f"/cases/{case_id}").body.decode()
        action = f"/cases/{case_id}/{TRIGGER}"
        fields = form_fields(page, action)
        if fields is None:
            skipped += 1
            continue
        fields |= {name: REASON for name, value in fields.items()          # "\r\n" when empty
                   if name.startswith(f"{TRIGGER}-") and name.endswith("comment")
                   and not value.strip()}
        tag = f"post-{case_id}"
        answer = client.request("POST", action, fields, tag=tag)
        done.append({"case": case_id, "tag": tag, "status": answer.status, "ms": answer.ms,
                     "sql": answer.sql})
    time.sleep(0.5)
    logged = server.server_times()
    server_ms = [logged[d["tag"]] for d in done if d["tag"] in logged]
    client_ms = [d["ms"] for d in done]
    statuses: dict[str, int] = {}
    for d in done:
        statuses[str(d["status"])] = statuses.get(str(d["status"]), 0) + 1
    return {"n": len(done), "available": len(ids), "skipped_no_form": skipped,
            "statuses": statuses, "sql": sorted({d["sql"] for d in done if d["sql"] is not None}),
            "server_p50_ms": percentile(server_ms, 50), "server_p95_ms": percentile(server_ms, 95),
            "server_max_ms": max(server_ms, default=None),
            "client_p50_ms": percentile(client_ms, 50), "client_p95_ms": percentile(client_ms, 95)}


def drain(port: int, fast_ms: float) -> None:
    """Wait until two probes in a row answer within ``fast_ms``: the workers have served
    what the last load left queued (at most 10 minutes)."""
    probe, quick, deadline = Client(port), 0, time.monotonic() + 600
    while quick < 2 and time.monotonic() < deadline:
        quick = quick + 1 if probe.request("GET", "/login").ms <= fast_ms else 0


def under_load(pages: list[Page], cookies: dict, servers: dict, args) -> list[dict]:
    app, hello = servers["app"], servers["hello"]
    idle = statistics.median(Client(app.port).request("GET", "/login").ms for _ in range(5))
    fast_ms = max(50.0, 5 * idle)
    hello_runs = []
    for round_no in range(args.rounds):
        hello_run = load.run(hello.port, "/", None, args.clients, args.seconds)
        hello_runs.append(hello_run)
        print(f"  round {round_no + 1}: hello {hello_run['rps']:,.0f} req/s", flush=True)
        for page in pages:
            run = load.run(app.port, page.path, cookies[page.user], args.clients, args.seconds)
            if not run["requests"]:         # none answered within the run: no latencies
                run |= {"p50_ms": None, "p95_ms": None, "p99_ms": None}
            page.load.append(run)
            page.ratios.append(run["rps"] / hello_run["rps"])
            print(f"  round {round_no + 1}: {page.label} {run['rps']:,.1f} req/s", flush=True)
            drain(app.port, fast_ms)
    return hello_runs


# --- report -------------------------------------------------------------------------------

def machine(url: str, conn) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
              ("organisation", "member", "referral_case", "audit_event")}
    wrk = "absent (Python client)"
    if load.have_wrk():
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True,
                             check=False).stdout.split(" [")[0]
    import gunicorn
    return {"date": clock.wall_clock().isoformat(timespec="seconds"),
            "nproc": os.cpu_count(), "cpu": cpu, "loadavg_start": os.getloadavg(),
            "postgresql": conn.scalar(text("SHOW server_version")),
            "python": platform.python_version(), "gunicorn": gunicorn.__version__, "wrk": wrk,
            "database": url.rsplit("/", 1)[-1], "rows": counts}


def report(result: dict) -> str:
    meta, pages, post = result["meta"], result["pages"], result["post"]
    args = meta["args"]
    head = (f"Scale {meta['scale']} ({meta['database']}: {meta['rows']['referral_case']:,} "
            f"cases, {meta['rows']['audit_event']:,} audit events, "
            f"{meta['rows']['organisation']:,} organisations), {meta['date']}; "
            f"{meta['nproc']} × {meta['cpu']}, load average {meta['loadavg_start'][0]:.1f} at "
            f"the start; PostgreSQL {meta['postgresql']}, Python {meta['python']}, gunicorn "
            f"{meta['gunicorn']} ({args['workers']} sync workers), {meta['wrk']}.")
    rows = [[p["label"], f"`{p['path']}`", num(p["sql"]), num(p["bytes"]),
             f"{num(p['server_p50_ms'])} / {num(p['server_p95_ms'])}", num(p["client_p50_ms"]),
             num(p["rps"]), f"{num(p['load_p50_ms'])} / {num(p['load_p95_ms'])}"
             if p["rps"] is not None else "–", ratio(p["ratio"])] for p in pages]
    table = markdown(["page (user)", "path", "SQL", "bytes", "single p50 / p95 server ms",
                      "single p50 client ms", f"req/s ({args['clients']} clients)",
                      "p50 / p95 ms under load", "ratio to hello"], rows,
                     [False, False] + [True] * 7)
    method = (f"Single: {args['runs']} sequential requests per page after a warm-up, "
              "interleaved; server time is gunicorn's access-log %(D)s of each request. Under "
              f"load: {meta['load_tool']} -c{args['clients']} -d{args['seconds']}s, "
              f"{args['rounds']} interleaved round(s) with hello, medians; ratio = median of "
              "the per-round page req/s ÷ hello req/s; workers drained after each page.")
    errors = [p["label"] for p in pages if p["status"] != 200 or p["errors"]]
    if errors:
        method += f" **Errors (status ≠ 200 or failed requests under load): {', '.join(errors)}.**"
    post_table = markdown(
        ["transition POST", "n", "statuses", "SQL", "server p50 / p95 / max ms",
         "client p50 / p95 ms"],
        [[f"{TRIGGER} (competent officer)", num(post["n"]),
          ", ".join(f"{n} × {s}" for s, n in post["statuses"].items()) or "–",
          "/".join(map(str, post["sql"])) or "–",
          f"{num(post['server_p50_ms'])} / {num(post['server_p95_ms'])} / "
          f"{num(post['server_max_ms'])}",
          f"{num(post['client_p50_ms'])} / {num(post['client_p95_ms'])}"]]) if post else (
        "No competent officer or no decision_pending case left: no transition POST measured.")
    memory = markdown(["gunicorn workers after the load", "VmRSS MiB", "VmHWM MiB"],
                      [[f"{name} (pid {w['pid']})", num(w["VmRSS"]), num(w["VmHWM"])]
                       for name, workers in result["memory"].items() for w in workers])
    return "\n\n".join([head, table, method, post_table, memory])


# --- main ---------------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="URL of a built PostgreSQL bench database")
    parser.add_argument("--scale", default="?", help="label of the scale (1x, 10x, national)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="of each load (whole seconds)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20, help="single requests per page")
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--json", type=Path, help="save the raw results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.runs, args.posts = 2, 1, 3, 5
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not load.have_wrk():
        print(f"WARNING: {load.MISSING_WRK}", file=sys.stderr)
    secret = secrets.token_hex(32)
    users = create_bench_users(create_app(serve_config(args.db, secret)))
    year = clock.today().year - 1          # the latest full year
    engine = create_engine(args.db)
    folder = Path(tempfile.mkdtemp(prefix="rf_bench_national_"))
    with engine.connect() as conn:
        meta = machine(args.db, conn) | {"scale": args.scale, "args": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "load_tool": "wrk -t2" if load.have_wrk() else "Python client", "logs": str(folder)}
        pages, post_target = select_targets(conn, users, year)
    env = {"BENCH_DATABASE_URL": args.db, "BENCH_SECRET_KEY": secret}
    servers: dict[str, Server] = {}
    try:
        servers["app"] = start("app", "bench.serve:app", args.workers, folder, env, "/login")
        servers["hello"] = start("hello", "bench.hello:app", args.workers, folder, {}, "/")
        clients = {None: Client(servers["hello"].port)}
        for username in {p.user for p in pages}:
            clients[username] = Client(servers["app"].port)
            clients[username].login(username, PASSWORD)
        hello = Page(HELLO, None, "/", False)
        print(f"single requests: {len(pages) + 1} pages × {args.runs}", flush=True)
        single_requests(pages + [hello], clients, servers, args.runs)
        post = None
        if post_target:
            print(f"transition POSTs: {args.posts}", flush=True)
            with engine.connect() as conn:
                poster = Client(servers["app"].port)
                poster.login(post_target["user"], PASSWORD)
                post = transitions(conn, poster, servers["app"], post_target["grant"],
                                   args.posts)
        loaded = [p for p in pages if p.under_load and p.status == 200]
        print(f"under load: {len(loaded)} pages × {args.rounds} round(s)", flush=True)
        cookies = {u: c.cookie_header() for u, c in clients.items()}
        hello_runs = under_load(loaded, cookies, servers, args)
        hello.load, hello.ratios = hello_runs, [1.0] * len(hello_runs)
        memory = {name: server.memory() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
        engine.dispose()
    meta["loadavg_end"] = os.getloadavg()
    result = {"meta": meta, "pages": [hello.summary()] + [p.summary() for p in pages],
              "post": post, "memory": memory,
              "raw": {p.label: asdict(p) for p in [hello] + pages}}
    print()
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False))
        print(f"\nraw results: {args.json}")
    failed = any(p["status"] != 200 for p in result["pages"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
