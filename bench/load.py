"""Concurrent load on one URL: wrk when installed (``apt-get install -y wrk``; it costs far
less client CPU), else a Python client with one thread per connection. Either returns
req/s, p50/p95/p99 latency (ms), requests, bytes and errors."""
from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

from bench.tables import percentile

STATS_LUA = Path(__file__).resolve().parent / "wrk_stats.lua"
MISSING_WRK = ("wrk is not installed (apt-get install -y wrk): the Python client measures "
               "instead, its own CPU use lowers every figure; compare ratios only within a run")


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(port: int, path: str, cookie: str | None, connections: int, seconds: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout",
               "60s", "-s", str(STATS_LUA)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode or "JSON " not in done.stdout:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")
    return json.loads(done.stdout.split("JSON ", 1)[1].splitlines()[0])


def python_load(port: int, path: str, cookie: str | None, connections: int,
                seconds: int) -> dict:
    latencies: list[float] = []
    counts = {"bytes": 0, "err_status": 0, "err_sock": 0}
    lock = threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}
    end = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < end:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                size, status = len(response.read()), response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    counts["err_sock"] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                counts["bytes"] += size
                counts["err_status"] += status >= 400
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    return {"rps": len(latencies) / took, "requests": len(latencies),
            **{f"p{q}_ms": percentile(latencies, q) for q in (50, 95, 99)}, **counts}


def run(port: int, path: str, cookie: str | None, connections: int, seconds: int) -> dict:
    load = wrk if have_wrk() else python_load
    return load(port, path, cookie, connections, seconds)
