"""The shared form kit (referral_flow/forms): WTForms' messages in the catalogue, the date,
number and choice fields, the query cleaner and the page maths."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from referral_flow import create_app
from referral_flow.config import TestingConfig
from referral_flow.forms import (ChoiceField, DayField, Form, NumberField, TextField,
                                 longest, no_markup, optional, query_text, required)
from referral_flow.forms import wtforms_messages
from referral_flow.forms.fields import parse_day
from referral_flow.paging import pager

WTFORMS_POT = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"


@pytest.fixture(scope="module")
def app():
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    return create_app(config | {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                "WTF_CSRF_ENABLED": False})


def test_every_wtforms_message_is_listed_for_the_catalogue():
    with WTFORMS_POT.open("rb") as fp:
        upstream = {m.id for m in read_po(fp) if m.id}
    listed = set(wtforms_messages.MESSAGES) | set(wtforms_messages.PLURALS)
    assert listed == upstream, ("wtforms_messages.py is out of step with WTForms: add "
                                f"{upstream - listed}, drop {listed - upstream}")


@pytest.mark.parametrize("text, day", [
    ("25/11/2026", date(2026, 11, 25)), ("5/1/2026", date(2026, 1, 5)),
    ("05/01/2026", date(2026, 1, 5)), ("2026-01-05", date(2026, 1, 5)),
    ("05012026", date(2026, 1, 5)), ("29/02/2028", date(2028, 2, 29)),
    ("31/02/2026", None), ("29/02/2026", None), ("2026-13-01", None), ("01.01.2026", None),
    ("1/1/26", None), ("25/11/2026 ", None), ("abc", None), ("", None), ("01/01/0001", None),
    ("99999-01-01", None), ("١٢/٠١/٢٠٢٦", None), ("11/25/2026", None),
])
def test_day_parsing(text, day):
    assert parse_day(text) == day


class Sample(Form):
    day = DayField("Day", validators=[required])
    count = NumberField("Count", validators=[optional], low=0, high=1000)
    name = TextField("Name", validators=[required, longest(5), no_markup])
    kind = ChoiceField("Kind", choices=[("a", "A"), ("b", "B")], validators=[required])


def sample(app, **data) -> Sample:
    """The form, validated under the Vietnamese locale; ``.messages`` holds its errors as
    the page shows them."""
    with app.test_request_context(method="POST"), force_locale("vi"):
        form = Sample(formdata=MultiDict(data))
        form.validate()
        form.messages = {k: [str(e) for e in v] for k, v in form.errors.items()}
        return form


def test_a_date_is_shown_day_first_and_a_wrong_one_is_kept_as_typed(app):
    with app.test_request_context(), force_locale("vi"):
        good = Sample(formdata=MultiDict({"day": "2026-11-05"}))
        html = good.day()
        assert 'value="05/11/2026"' in html and 'type="text"' in html
        assert 'inputmode="numeric"' in html and 'placeholder="dd/mm/yyyy"' in html
        bad = Sample(formdata=MultiDict({"day": "31/02/2026"}))
        bad.validate()
        assert bad.day.errors == ["Vui lòng nhập ngày hợp lệ (dd/mm/yyyy)."]
        assert 'value="31/02/2026"' in bad.day() and 'aria-invalid' not in bad.day()


def test_messages_are_vietnamese_and_say_what_to_type(app):
    form = sample(app, day="", count="12a", name="<b>dài quá</b>", kind="z")
    assert form.messages == {
        "day": ["Trường này bắt buộc phải nhập."],
        "count": ["Vui lòng nhập số nguyên từ 0 đến 1.000."],
        "name": ["Tối đa 5 ký tự.", "Nội dung không được chứa ký tự < hoặc >."],
        "kind": ["Vui lòng chọn một giá trị trong danh sách."],
    }
    assert sample(app, count="1001").messages["count"] == [
        "Vui lòng nhập số nguyên từ 0 đến 1.000."]
    ok = sample(app, day="1/2/2026", count=" 7 ", name="  An  ", kind="b")
    assert not ok.errors
    assert (ok.day.data, ok.count.data, ok.name.data, ok.kind.data) == (
        date(2026, 2, 1), 7, "An", "b")


def test_stock_validators_speak_the_users_language(app):
    """A stock WTForms validator, as a form built on the kit uses it, answers in Vietnamese
    (the app's catalogue), and in English for an English user."""
    from wtforms import IntegerField
    from wtforms.validators import DataRequired

    class Stock(Form):
        n = IntegerField("N", validators=[DataRequired()])
        m = IntegerField("M")

    for locale, required_text, integer_text in (
            ("vi", "Trường này bắt buộc phải nhập.", "Không phải là số nguyên hợp lệ."),
            ("en", "This field is required.", "Not a valid integer value.")):
        with app.test_request_context(method="POST"), force_locale(locale):
            form = Stock(formdata=MultiDict({"m": "x"}))
            form.validate()
            assert form.errors == {"n": [required_text], "m": [integer_text]}


@pytest.mark.parametrize("raw, cleaned", [
    ("  nguyễn   văn  ", "nguyễn văn"), ("a\x00b\u202ec", "abc"), ("x" * 500, "x" * 100),
    ("", ""),
])
def test_query_text(app, raw, cleaned):
    with app.test_request_context("/", query_string={"q": raw}):
        assert query_text() == cleaned


@pytest.mark.parametrize("total, raw, page, pages", [
    (0, None, 1, 1), (120, "2", 2, 3), (120, "99", 3, 3), (120, "9" * 40, 1, 3),
    (120, "-2", 1, 3), (120, "abc", 1, 3), (120, "0", 1, 3), (50, "1", 1, 1),
])
def test_pager_keeps_the_page_within_the_list(app, total, raw, page, pages):
    with app.test_request_context("/", query_string={"page": raw} if raw else {}):
        p = pager(total, 50)
    assert (p.page, p.pages, p.offset) == (page, pages, (page - 1) * 50)
