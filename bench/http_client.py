"""A minimal HTTP client for the measuring script: a cookie jar, the login form, form fields.

No User-Agent header is sent, by this client or by wrk: Flask-Login's "strong" session
protection binds the session to the client's User-Agent, so a cookie obtained with one and
replayed with another would be treated as logged out."""
from __future__ import annotations

import html
import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
TAG_HEADER = "X-Bench-Id"     # logged by gunicorn's access log: joins a request to its %(D)s


@dataclass
class Response:
    status: int
    body: bytes
    ms: float                  # client-measured, connection to last byte
    sql: int | None            # the wrapper's X-SQL-Count
    location: str | None


class Client:
    """One connection per request to 127.0.0.1:``port``; keeps the cookies it is given."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None,
                tag: str | None = None) -> Response:
        headers = {}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if tag:
            headers[TAG_HEADER] = tag
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - started) * 1000
        conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, value = raw.split(";", 1)[0].partition("=")
            if value and "max-age=0" not in raw.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        sql = response.getheader("X-SQL-Count")
        return Response(response.status, data, ms, int(sql) if sql else None,
                        response.getheader("Location"))

    def login(self, username: str, password: str) -> None:
        page = self.request("GET", "/login").body.decode()
        answer = self.request("POST", "/login", {"username": username, "password": password,
                                                 "csrf_token": csrf_token(page)})
        if answer.status != 302 or "/login" in (answer.location or ""):
            raise RuntimeError(f"login of {username} failed: {answer.status} {answer.location}")


def csrf_token(page: str) -> str:
    """The page's form CSRF token (either attribute order)."""
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no csrf_token on the page")
    return found.group(1) or found.group(2)


def form_fields(page: str, action: str) -> dict[str, str] | None:
    """The input and textarea values of the ``<form>`` posting to ``action`` (None when the
    page has no such form); unchecked checkboxes are left out, as a browser would."""
    start = page.find(f'action="{action}"')
    if start < 0:
        return None
    chunk = page[start:page.find("</form>", start)]
    fields = {}
    for found in re.finditer(r"<input([^>]*)>", chunk):
        attrs = found.group(1)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or ('type="checkbox"' in attrs and "checked" not in attrs):
            continue
        value = re.search(r'value="([^"]*)"', attrs)
        fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for found in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', chunk, re.S):
        fields[found.group(1)] = html.unescape(found.group(2))
    return fields
