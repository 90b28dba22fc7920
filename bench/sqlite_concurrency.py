"""SQLite under concurrent use: browsers read staff pages (a case, the inbox, the case list;
each logs its read) while every ``--post-every``-th request of each takes a case back to the
union (GET the case page, POST the form: a transition, with its audit event). Latency
percentiles of the reads and of the transitions.

    python bench/sqlite_concurrency.py [--clients 8] [--workers 2] [--seconds 30]
                                       [--cases 400] [--post-every 10] [--logs DIR]

Everything runs in a temporary folder, removed at the end: one SQLite file, migrated with
`flask db upgrade` under production and filled as bench/fault_drill.py does (the test
suite's world and ``--cases`` nominated cases), served by gunicorn with the repository's
gunicorn.conf.py (``--workers`` workers, its threads) on a free port; the fault drill's
helpers start it and sign in. The browsers share one Party officer's sign-in.

It serves the code of the checkout it is run from: to measure the code before a change,
copy this file into that checkout (``git archive <commit> | tar -x -C DIR``) and run it there.
"""
from __future__ import annotations

import argparse
import http.client
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):       # run as a script: the project root is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask

from bench.fault_drill import (FIELD, TRIGGER, Browser, Gunicorn, build_world, production_env,
                               server_errors, totp_code)

READS = ("case page", "inbox", "case list")
TRANSITION = "transition (POST)"


class Tally:
    """Milliseconds per kind of request, and the answers that were not the expected ones."""

    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.unexpected: Counter = Counter()
        self.lock = threading.Lock()

    def timed(self, browser: Browser, kind: str, method: str, path: str, expect: int,
              body: str | None = None):
        started = time.perf_counter()
        try:
            status, _, page, _ = browser.request(method, path, body)
        except (OSError, http.client.HTTPException) as error:
            with self.lock:
                self.unexpected[f"{kind}: {type(error).__name__}"] += 1
            return None
        took = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[kind].append(took)
            if status != expect:
                self.unexpected[f"{kind}: {status}"] += 1
        return page if status == expect else None


def take_back(browser: Browser, case_id: int, tally: Tally) -> None:
    """The case page (a read like the others), then its return-to-union form."""
    page = tally.timed(browser, "case page", "GET", f"/cases/{case_id}", 200)
    fields = dict(FIELD.findall(page or ""))
    if len(fields) < 2:
        return
    form = urlencode({f"{TRIGGER}-csrf_token": fields["csrf_token"],
                      f"{TRIGGER}-version": fields["version"],
                      f"{TRIGGER}-comment": "Đo tải SQLite: trả lại công đoàn"})
    tally.timed(browser, TRANSITION, "POST", f"/cases/{case_id}/{TRIGGER}", 302, form)


def browse(browser: Browser, ids: list[int], queue: list[int], stop: threading.Event,
           tally: Tally, post_every: int, seed: int) -> None:
    rng = random.Random(seed)
    paths = {"inbox": "/inbox/", "case list": "/cases/"}
    turn = 0
    while not stop.is_set():
        turn += 1
        if post_every and turn % post_every == 0:
            with tally.lock:
                case_id = queue.pop() if queue else None
            if case_id is not None:
                take_back(browser, case_id, tally)
                continue
        kind = rng.choice(READS)
        path = paths.get(kind) or f"/cases/{rng.choice(ids)}"
        tally.timed(browser, kind, "GET", path, 200)


def percentiles(times: list[float]) -> tuple[float, float, float, float]:
    if len(times) < 2:
        return (times[0],) * 4 if times else (0.0,) * 4
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98], max(times)


def report(tally: Tally, seconds: float) -> None:
    print(f"{'requests':<20} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    every_read = [t for kind in READS for t in tally.times[kind]]
    for label, times in [*((kind, tally.times[kind]) for kind in READS),
                         ("all reads", every_read), (TRANSITION, tally.times[TRANSITION])]:
        p50, p95, p99, most = percentiles(times)
        print(f"{label:<20} {len(times):>6} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f} {most:>8.0f}")
    done = sum(len(times) for times in tally.times.values())
    print(f"throughput: {done / seconds:.1f} requests/s")
    for what, count in tally.unexpected.most_common():
        print(f"unexpected answer x{count}: {what}")


def run(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="rf_sqlite_bench_"))
    key = secrets.token_hex(32)
    url = f"sqlite:///{folder / 'bench.db'}"
    server, browsers = None, []
    try:
        officer, password, ids = build_world(url, key, folder, args.cases)
        server = Gunicorn(folder, production_env(url, key, folder), args.workers)
        server.start()
        reader = Flask("sqlite_concurrency")
        reader.secret_key = key
        first = Browser(server.port, reader)
        first.login(officer, password, lambda: totp_code(url, officer))
        browsers = [first] + [Browser(server.port, reader) for _ in range(args.clients - 1)]
        for browser in browsers[1:]:
            browser.cookie = first.cookie       # tabs of one signed-in browser
        print(f"SQLite, gunicorn {args.workers} workers on :{server.port}, {len(ids)} "
              f"nominated cases, {args.clients} clients for {args.seconds:.0f} s, "
              + (f"a transition every {args.post_every} requests of each" if args.post_every
                 else "no transitions"), flush=True)
        tally, queue, stop = Tally(), list(reversed(ids)), threading.Event()
        threads = [threading.Thread(target=browse, args=(
            browser, ids, queue, stop, tally, args.post_every, seed))
            for seed, browser in enumerate(browsers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        report(tally, time.perf_counter() - started)
        for browser in browsers:
            browser.close()
        server.stop()
        for line, count in server_errors(server.log).most_common():
            print(f"server error x{count}: {line}")
        return 1 if tally.unexpected else 0
    finally:
        for browser in browsers:
            browser.close()
        if server:
            server.stop()
        if args.logs and server:
            args.logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(server.log, args.logs)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--post-every", type=int, default=10,
                        help="each client's every n-th request is a transition (0: none)")
    parser.add_argument("--logs", type=Path, help="keep gunicorn's log here")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
