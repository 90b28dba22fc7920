"""Browser tests: Debian's Chromium driven by pytest-playwright against a live server
(a thread of this process) on a SQLite file loaded with the demo province."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from referral_flow import create_app
from referral_flow.extensions import db

from ..conftest import _config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "demo-only-2026"
# The journeys move the application's date by days and months while users stay signed in:
# sessions must outlive that (their limits are tested in tests/security/test_sessions.py).
LONG_SESSIONS = {"SESSION_IDLE_MINUTES": 2 * 366 * 24 * 60, "SESSION_MAX_HOURS": 2 * 366 * 24}


def pytest_collection_modifyitems(items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Chromium is not installed: run "
                                   "'apt-get update && apt-get install -y chromium'")
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"locale": "vi-VN", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """A fresh demo database per test module, served on a free port."""
    from flask_migrate import upgrade

    from referral_flow.demo import load
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    app = create_app(_config(f"sqlite:///{path}") | {"WTF_CSRF_ENABLED": True, **LONG_SESSIONS,
                                                     "SCANS_DIR": str(path.parent / "scans")})
    with app.app_context():
        upgrade()
        load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def base_url(live_app):
    return live_app.config["LIVE_URL"]


@pytest.fixture
def login(base_url):
    def do(page, username):
        page.goto(f"{base_url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_load_state()
        return page
    return do


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return take


@pytest.fixture
def clock(live_app):
    """Move the served application's today (back to the tests' day afterwards)."""
    from ..factories import TODAY

    def set_today(day):
        live_app.config["FROZEN_TODAY"] = day
    set_today(TODAY)
    yield set_today
    set_today(TODAY)
