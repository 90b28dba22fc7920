"""Every action form on the case page under empty, overlong, malformed and hostile input:
a clear 4xx, never a 500, nothing half-saved, nothing rendered unescaped."""
from __future__ import annotations

from datetime import timedelta

import pytest

from referral_flow.cases.actions import DECIDED_BY_MEETING, ELSEWHERE, build_form
from referral_flow.demo import PATHS
from referral_flow.models import Role
from referral_flow.security import can
from referral_flow.workflow.transitions import TRANSITIONS

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case, user

SCRIPT = "<script>alert(1)</script>"
PAYLOADS = {
    "empty": lambda name: "",
    "overlong": lambda name: "9" * 5000,
    "malformed": lambda name: "31/02/2026" if name.endswith("_on") or name == "on" else "abc",
    "script": lambda name: SCRIPT,
    "sql": lambda name: "'; DROP TABLE referral_case; --",
    "zero-width": lambda name: "Nguyễn\u200bVăn",
    "rtl-override": lambda name: "\u202eabc",
    "nul": lambda name: "a\x00b",
    "negative": lambda name: "-5",
}
# One row per trigger shown as a form on the case page, from a state it leaves.
ROWS = [(t.trigger, t.source[0]) for t in TRANSITIONS
        if t.trigger not in DECIDED_BY_MEETING | ELSEWHERE and t.source[0] in PATHS]
ROWS = list(dict.fromkeys(ROWS))
# Blank input is a complete answer to these steps' forms (every field optional): the step is
# taken, or refused by the case's facts (the dossier is not complete yet). Any other bad
# input is refused as input: 400.
BLANK_ANSWERED = {("open_dossier", "certified"): 302, ("send_to_cell", "dossier"): 422}


def expected_status(trigger: str, state: str, kind: str) -> int:
    return BLANK_ANSWERED.get((trigger, state), 400) if kind == "empty" else 400


def _actor(world, case, trigger):
    if trigger == "withdraw_self":
        return user(Role.member, None, member_id=case.member_id)
    return next(u for u in world.users.values() if can(u, trigger, case))


@pytest.mark.parametrize("trigger, state", ROWS)
@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_bad_input_is_refused_cleanly(world, db, auth, client, app, trigger, state, kind):
    case = new_case(world, start=TODAY - timedelta(days=900))
    advance(case, world, state, today=TODAY, gap=1)
    actor = _actor(world, case, trigger)
    db.session.commit()
    before = (case.state, case.version, len(case.documents), len(case.votes))
    auth.login(actor.username)
    page = client.get(f"/cases/{case.id}")
    names = [f.short_name for f in build_form(trigger, case)
             if f.short_name not in ("csrf_token", "version")]
    data = {f"{trigger}-{n}": PAYLOADS[kind](n) for n in names}
    data |= {f"{trigger}-csrf_token": csrf_token(page.text), f"{trigger}-version": case.version}
    response = client.post(f"/cases/{case.id}/{trigger}", data=data)
    db.session.expire_all()
    assert response.status_code == expected_status(trigger, state, kind)
    if response.status_code == 302:
        assert case.version == before[1] + 1        # the step, taken once
        return
    assert SCRIPT not in response.text
    assert 'class="error"' in response.text or 'role="alert"' in response.text
    assert (case.state, case.version, len(case.documents), len(case.votes)) == before


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_login_form_refuses_bad_input_cleanly(client, world, kind):
    page = client.get("/login")
    value = PAYLOADS[kind]("username")
    response = client.post("/login", data={"csrf_token": csrf_token(page.text),
                                           "username": value, "password": value})
    assert response.status_code == 200
    assert SCRIPT not in response.text
    assert 'class="error"' in response.text or 'class="flash error"' in response.text
