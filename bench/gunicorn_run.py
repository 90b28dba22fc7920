"""Gunicorn servers started and stopped by the measuring script: the app and the bare hello
app get the same command (sync workers, same count, same timeout, an access log with each
request's server time ``%(D)s`` in microseconds and the client's X-Bench-Id)."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_FORMAT = "%({x-bench-id}i)s|%(m)s|%(U)s|%(s)s|%(D)s"
TIMEOUT_S = 600     # a national report may outlast gunicorn's default 30 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    access_log: Path

    def workers(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children]

    def memory(self) -> list[dict]:
        """VmRSS and VmHWM (MiB) of each worker."""
        out = []
        for pid in self.workers():
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
            out.append({"pid": pid, **{k: int(fields[k].split()[0]) / 1024
                                       for k in ("VmRSS", "VmHWM")}})
        return out

    def server_times(self) -> dict[str, float]:
        """X-Bench-Id -> server time (ms) of the tagged requests logged so far."""
        times = {}
        for line in self.access_log.read_text().splitlines():
            tag, _method, _path, _status, micros = line.rsplit("|", 4)
            if tag != "-":
                times[tag] = int(micros) / 1000
        return times

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, app: str, workers: int, folder: Path, env: dict, probe: str) -> Server:
    """Gunicorn serving ``app`` ("module:attribute") on a free loopback port, once ``probe``
    answers."""
    port = free_port()
    log = folder / f"access_{name}.log"
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--timeout", str(TIMEOUT_S), "--access-logfile", str(log),
               "--access-logformat", LOG_FORMAT, app]
    with open(folder / f"gunicorn_{name}.log", "w") as errors:
        process = subprocess.Popen(command, env=os.environ | env, stdout=errors,
                                   stderr=subprocess.STDOUT)
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {name} exited: see {folder}/gunicorn_{name}.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", probe)
            conn.getresponse().read()
            conn.close()
            if len(server.workers()) == workers:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn {name} did not answer in 120 s")
