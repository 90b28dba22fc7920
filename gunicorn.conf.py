"""gunicorn's settings for production (`gunicorn wsgi:app` reads this file from the working
directory; `-c gunicorn.conf.py` names it elsewhere). Each setting can be moved by the
environment variable beside it; a command-line flag wins over both."""
import os

from gunicorn.http import wsgi as _gunicorn_http

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's own advice: two workers per core plus one. Threads let a worker answer other
# pages while one of its requests waits on the database (the state machine is a
# LockedMachine, shared safely between threads).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# The largest export (every case of the province as XLSX) takes about 7 s on a 2-core
# machine; 120 s leaves room for a busy server before the master kills the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# On a restart or SIGTERM, requests in flight (an export) get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "60"))
keepalive = 5
# Build the app once in the master: the production start-up checks (weak key, demo data)
# stop the server before any worker is forked, and a worker killed by a crash or the
# timeout is replaced by a fork without rebuilding the app.
preload_app = True

accesslog = "-"
errorlog = "-"
# The path without the query string, which can carry a searched name or citizen ID; no
# referrer (it carries one too) and no user agent.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def _without_server_header(default_headers):
    def headers(self):
        return [line for line in default_headers(self) if not line.startswith("Server:")]
    return headers


# gunicorn writes "Server: gunicorn" on every response and has no setting to leave it out
# (F-7.3, ASVS 13.4.6): drop that one line from the headers it starts each response with.
_gunicorn_http.Response.default_headers = _without_server_header(
    _gunicorn_http.Response.default_headers)
