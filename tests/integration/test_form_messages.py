"""No English message on any form under the Vietnamese locale.

Every form class of the app is found by walking the package (a new form is tested without
being listed here), submitted empty and with bad values (letters in numbers, 31/02/2026 in
dates, over-long text, a value outside a list), and rendered with the shared field macro:
no WTForms built-in message nor kit message appears in English, every message differs from
the English one, and the Vietnamese ones do appear. Then the real screens are posted to the
same way: every case action form per trigger, the dossier's document form, and each form of
administration, members, classes, targets and login."""
from __future__ import annotations

import html
import importlib
import pkgutil
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, DateField, FieldList, FormField, IntegerField, SelectField,
                     SubmitField)
from wtforms.csrf.core import CSRFTokenField

import referral_flow
from referral_flow.admin.forms import RuleSetBaseForm, rule_set_form
from referral_flow.cases.actions import DECIDED_BY_MEETING, ELSEWHERE, build_form
from referral_flow.cases.forms import form_for
from referral_flow.demo import PATHS
from referral_flow.forms import DayField, Form, NumberField, options
from referral_flow.forms.fields import BAD_DAY, CHOOSE
from referral_flow.forms.filters import INVISIBLE
from referral_flow.forms.validators import REQUIRED
from referral_flow.models import Enrolment, Role
from referral_flow.security import can
from referral_flow.workflow.transitions import TRANSITIONS, spec

from ..conftest import csrf_token
from ..factories import TODAY, advance, member, new_case, user
from .test_web import vi

# --- what an English message looks like -----------------------------------------------------

WTFORMS_POT = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
KIT_MESSAGES = [str(REQUIRED._args[0]), str(CHOOSE._args[0]), str(BAD_DAY._args[0]),
                str(INVISIBLE._args[0]), "At most %(max)d characters.",
                "The text cannot contain < or >.",
                "Enter a whole number from %(min)s to %(max)s."]


def _pattern(msgid: str) -> str:
    parts = re.split(r"%(?:\([^)]*\))?[sd]", msgid)
    return ".+?".join(re.escape(p) for p in parts)


def _english() -> re.Pattern:
    with WTFORMS_POT.open("rb") as fp:
        ids = [i for m in read_po(fp) if m.id
               for i in (m.id if isinstance(m.id, tuple) else (m.id,))]
    return re.compile("|".join(_pattern(i) for i in ids + KIT_MESSAGES))


ENGLISH = _english()


def english_in(text: str) -> list[str]:
    return [m.group(0) for m in ENGLISH.finditer(html.unescape(text))]


# --- every form class of the app --------------------------------------------------------------

def _all_forms() -> list[type[Form]]:
    for module in pkgutil.walk_packages(referral_flow.__path__, "referral_flow."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, todo = [], list(Form.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        # classes a module defines (rule_set_form() makes its classes on the fly: below)
        if getattr(sys.modules[cls.__module__], cls.__name__, None) is cls:
            found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


FORM_CLASSES = _all_forms()
CASE_FORMS = {trigger: form_for(trigger, spec(trigger).reason) for trigger in
              dict.fromkeys(t.trigger for t in TRANSITIONS)}
DOCS = {"1-KNĐ": 12, "2-KNĐ": 12, "3-KNĐ": 12, "5-KNĐ": 6}


def _build(factory, formdata):
    form = factory(formdata=formdata)
    for f in leaves(form):
        if isinstance(f, SelectField) and f.choices is None:       # set by the view
            f.choices = options([(1, "một")] if f.coerce is int else [("a", "một")])
    return form


def leaves(form):
    """Every input of ``form``, inside the rows of its tables too."""
    for f in form:
        if isinstance(f, FieldList):
            for entry in f:
                yield from leaves(entry)
        elif isinstance(f, FormField):
            yield from leaves(f)
        elif not isinstance(f, (CSRFTokenField, SubmitField)):
            yield f


def bad_value(f) -> str:
    if isinstance(f, (NumberField, IntegerField)):
        return "12a"                                        # letters in a number
    if isinstance(f, (DayField, DateField)):
        return "31/02/2026"
    if isinstance(f, SelectField):
        return "zzz"
    return "x" * 5000                                       # over-long text


def payload(fields, kind: str, prefix: str = "") -> MultiDict:
    data = MultiDict()
    for f in fields:
        if isinstance(f, BooleanField):
            continue
        data.add(prefix + f.name, "" if kind == "empty" else bad_value(f))
    return data


def submitted(app, factory, kind: str, locale: str):
    """(messages by field, the form drawn with the shared macro, how many inputs take a
    typed value (a tick has no bad value)), under ``locale``."""
    with app.test_request_context(method="POST"), force_locale(locale):
        probe = factory(formdata=None)
        for f in probe:
            if isinstance(f, FieldList):
                f.append_entry()
        form = _build(factory, payload(leaves(probe), kind))
        form.validate()
        messages = {f.name: [str(e) for e in f.errors] for f in leaves(form) if f.errors}
        inputs = list(leaves(form))
        drawn = render_template_string(
            '{% from "macros/forms.html" import field %}'
            '{% for f in fields %}{{ field(f) }}{% endfor %}', fields=inputs)
    return messages, drawn, sum(not isinstance(f, BooleanField) for f in inputs)


# Forms a function builds (their fields depend on data): built that way.
def _rule_set_form(**kw):
    return type(rule_set_form({"document_validity_months": DOCS}, prefill=False))(**kw)


BUILT_BY = {RuleSetBaseForm: _rule_set_form}
FACTORIES = [(c.__qualname__, BUILT_BY.get(c, c)) for c in FORM_CLASSES]


def test_every_form_is_found():
    names = {name for name, _f in FACTORIES}
    assert {"MemberForm", "UnionNodeForm", "ClassForm", "ResultsForm", "GridForm", "LoginForm",
            "DocumentForm", "VoteForm", "RuleSetBaseForm", "SkipForm", "PlanForm"} <= names
    assert set(CASE_FORMS.values()) <= set(FORM_CLASSES)


@pytest.mark.parametrize("kind", ["empty", "bad"])
@pytest.mark.parametrize("name, factory", FACTORIES, ids=[n for n, _f in FACTORIES])
def test_no_english_message_in_any_form(app, name, factory, kind):
    messages, drawn, inputs = submitted(app, factory, kind, "vi")
    english = submitted(app, factory, kind, "en")[0]
    if kind == "bad" and inputs:
        assert messages, f"{name}: bad values were accepted"
    shown = [m for ms in messages.values() for m in ms]
    assert not [m for m in shown if english_in(m)], shown
    assert not english_in(drawn), english_in(drawn)
    assert messages.keys() == english.keys()
    for field_name, texts in messages.items():
        assert texts != english[field_name], (field_name, texts)      # translated
        for text in texts:
            assert html.escape(text, quote=False) in drawn or text in html.unescape(drawn)


# --- the screens ------------------------------------------------------------------------------

ACTION_ROWS = [(t.trigger, t.source[0]) for t in TRANSITIONS
               if t.trigger not in DECIDED_BY_MEETING | ELSEWHERE and t.source[0] in PATHS]
ACTION_ROWS = list(dict.fromkeys(ACTION_ROWS))


def shows_no_english(app, page, expect: list[str]):
    assert page.status_code in (400, 409, 422), page.status_code
    assert not english_in(page.text), english_in(page.text)
    for message in expect:
        assert vi(app, message) in page.text, message


def _actor(world, case, trigger):
    if trigger == "withdraw_self":
        return user(Role.member, None, member_id=case.member_id)
    return next(u for u in world.users.values() if can(u, trigger, case))


@pytest.mark.parametrize("kind", ["empty", "bad"])
@pytest.mark.parametrize("trigger, state", ACTION_ROWS)
def test_case_action_forms_answer_in_vietnamese(world, db, auth, client, app, trigger, state,
                                               kind):
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, state,
                   today=TODAY)
    actor = _actor(world, case, trigger)
    db.session.commit()
    auth.login(actor.username)
    page = client.get(f"/cases/{case.id}")
    with app.test_request_context():
        form = build_form(trigger, case)
        fields = [f for f in leaves(form) if f.short_name != "version"]
        data = payload(fields, kind)
        required = any(f.flags.required for f in fields)
    data[f"{trigger}-csrf_token"] = csrf_token(page.text)
    data[f"{trigger}-version"] = str(case.version)
    response = client.post(f"/cases/{case.id}/{trigger}", data=data)
    if kind == "empty" and not required:
        # nothing the form itself requires: the guards answer, in Vietnamese too
        assert response.status_code in (302, 422), response.status_code
        assert not english_in(response.text)
        return
    shows_no_english(app, response, [REQUIRED._args[0]] if kind == "empty"
                     else [BAD_DAY._args[0]])


@pytest.mark.parametrize("kind", ["empty", "bad"])
def test_the_document_form_answers_in_vietnamese(world, db, auth, client, app, kind):
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, "dossier")
    secretary = world.users["cell_secretary_a"]
    db.session.commit()
    auth.login(secretary.username)
    page = client.get(f"/cases/{case.id}")
    bad = kind == "bad"
    data = {"csrf_token": csrf_token(page.text), "issuer": "x" * 500 if bad else "",
            "issued_on": "31/02/2026" if bad else "", "months_together": "12a" if bad else ""}
    response = client.post(f"/cases/{case.id}/documents/3-knd",
                           data={f"doc-3-knd-{k}": v for k, v in data.items()})
    shows_no_english(app, response, [BAD_DAY._args[0]] if bad else [REQUIRED._args[0]])


def _screens(w, db) -> list[tuple]:
    """(user key or None, URL, the form's field names, fixed fields)."""
    chair = w.users["union_chair_a"]
    someone = member(w["unit_a"])
    klass_case = advance(new_case(w, start=TODAY - timedelta(days=200)), w, "in_class")
    klass = db.session.scalars(db.select(Enrolment).where(
        Enrolment.case_id == klass_case.id)).one().awareness_class
    skipper = advance(new_case(w, start=TODAY - timedelta(days=200)), w, "accepted")
    db.session.commit()
    year = TODAY.year
    node = ["kind", "name", "code", "parent_code", "opened_on"]
    return [
        ("administrator", "/admin/organisations/new/union",
         node + ["enterprise_kind", "receiving_code"], {}),
        ("administrator", "/admin/organisations/new/party",
         node + ["official_members", "committee_members"], {}),
        ("administrator", f"/admin/organisations/{w['unit_a'].id}/rename", ["name"], {}),
        ("administrator", f"/admin/organisations/{w['unit_a'].id}/close", ["closed_on"], {}),
        ("administrator", f"/admin/organisations/{w['unit_a'].id}/receiving",
         ["receiving_code"], {}),
        ("administrator", "/admin/users/new", ["username", "full_name", "password", "confirm"],
         {}),
        ("administrator", f"/admin/users/{chair.id}/grants",
         ["role", "org_code", "citizen_id", "valid_from", "valid_to"], {}),
        ("administrator", f"/admin/users/{chair.id}/grants/{chair.grants[0].id}/end",
         ["valid_to"], {}),
        ("administrator", "/admin/holidays", ["day", "day_off", "note"], {}),
        ("administrator", "/admin/rules/new",
         ["code", "title", "effective_from", "note", "p__probation_months",
          "p__cell_vote__num"], {}),
        ("union_chair_a", "/members/new",
         ["full_name", "date_of_birth", "gender", "citizen_id", "job", "phone", "email",
          "union_member_since"], {}),
        ("union_chair_a", f"/members/{someone.id}/edit",
         ["full_name", "date_of_birth", "gender", "citizen_id", "job"], {}),
        ("class_organiser_a", "/classes/new",
         ["name", "organiser_id", "starts_on", "ends_on", "capacity", "place"], {}),
        ("class_organiser_a", f"/classes/{klass.id}/edit",
         ["name", "organiser_id", "starts_on", "ends_on", "capacity"], {}),
        ("party_officer_a", f"/classes/skip/{skipper.id}",
         ["certificate_no", "certificate_issuer", "certificate_on"],
         {"version": str(skipper.version)}),
        ("federation_officer_a", "/targets/bulk", ["value"],
         {"node": str(w["federation"].id), "year": str(year)}),
        ("federation_officer_a", "/targets/grid", ["rows-0-target"],
         {"node": str(w["federation"].id), "year": str(year),
          "rows-0-node_id": str(w["upper_a"].id)}),
        ("union_chair_a", "/targets/plan", ["planned", "note"],
         {"unit": str(w["unit_a"].id), "year": str(year)}),
        ("union_chair_a", "/account/second-factor/recovery-codes", ["code"], {}),
        ("union_chair_a", "/reauthenticate", ["password", "code"], {}),
        (None, "/login", ["username", "password"], {}),
    ]


BAD = {"opened_on": "31/02/2026", "closed_on": "31/02/2026", "valid_from": "31/02/2026",
       "valid_to": "31/02/2026", "day": "31/02/2026", "effective_from": "31/02/2026",
       "date_of_birth": "31/02/2026", "union_member_since": "31/02/2026",
       "starts_on": "31/02/2026", "ends_on": "31/02/2026", "certificate_on": "31/02/2026",
       "official_members": "12a", "committee_members": "12a", "p__probation_months": "12a",
       "p__cell_vote__num": "12a", "capacity": "12a", "value": "12a", "rows-0-target": "12a",
       "planned": "12a", "kind": "zzz", "enterprise_kind": "zzz", "role": "zzz",
       "day_off": "zzz", "gender": "zzz", "organiser_id": "zzz"}


# A screen whose fields may all stay empty: an empty submission saves nothing and is fine.
ALL_OPTIONAL = {"/targets/grid"}


@pytest.mark.parametrize("kind", ["empty", "bad"])
def test_every_screen_answers_in_vietnamese(world, db, client, auth, app, kind):
    for who, url, fields, fixed in _screens(world, db):
        if who:
            auth.login(world.users[who].username)
        page = client.get("/login" if who is None else "/members/" if who == "union_chair_a"
                          else "/cases/")
        data = {"csrf_token": csrf_token(page.text), **fixed}
        data |= {f: "" if kind == "empty" else BAD.get(f, "x" * 5000) for f in fields}
        response = client.post(url, data=data)
        assert not english_in(response.text), (url, english_in(response.text))
        if kind == "empty" and url in ALL_OPTIONAL:
            assert response.status_code == 302, url
        else:
            # the login page answers 200 with its messages; the others refuse with 400
            assert response.status_code == (200 if who is None else 400), url
            assert 'class="error"' in response.text, url
            dates = any(BAD.get(f) == "31/02/2026" for f in fields)
            for message in ([REQUIRED._args[0]] if kind == "empty" else
                            [BAD_DAY._args[0]] if dates else []):
                assert vi(app, message) in response.text, (url, message)
        if who:
            auth.logout()
