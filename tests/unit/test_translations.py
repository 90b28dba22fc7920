"""The message catalogues: Vietnamese complete, in step with the source, compiled, consistent.

Refresh after changing UI strings (see the README):
    pybabel extract -F babel.cfg -k _l -o referral_flow/translations/messages.pot .
    pybabel update -i referral_flow/translations/messages.pot -d referral_flow/translations \
        --no-fuzzy-matching
    (translate the new entries in vi/LC_MESSAGES/messages.po)
    pybabel compile -d referral_flow/translations
"""
from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from referral_flow.config import Config, TestingConfig

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "referral_flow" / "translations"
# The same keywords as `pybabel extract -k _l`: the defaults plus lazy_gettext imported as _l.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
# printf-style conversions: %(name)s, %(n)d, %s, %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                         r"(?P<conv>[diouxXeEfFgGcrsa%])")


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load_po(lang: str):
    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang, abort_invalid=True)


def messages(catalog):
    return [m for m in catalog if m.id]


def as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def where(message) -> str:
    return ", ".join(f"{f}:{n}" for f, n in message.locations) or "?"


@pytest.fixture(scope="module")
def vi():
    return load_po("vi")


@pytest.fixture(scope="module")
def extracted():
    """Messages found in the source right now, with the method map of babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp, "babel.cfg")
    found: dict[tuple, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


# (a) complete ---------------------------------------------------------------------------

def test_every_supported_language_has_a_catalogue():
    assert Config.LANGUAGES[0] == Config.BABEL_DEFAULT_LOCALE == "vi"
    for lang in Config.LANGUAGES:
        assert po_path(lang).is_file(), lang
        assert po_path(lang).with_suffix(".mo").is_file(), f"{lang}: run pybabel compile"


def test_vietnamese_catalogue_is_complete_and_not_fuzzy(vi):
    assert not vi.fuzzy, "the vi catalogue header is marked fuzzy"
    assert messages(vi), "the vi catalogue is empty"
    untranslated = [f"{m.id!r} ({where(m)})" for m in messages(vi)
                    if not all(s.strip() for s in as_tuple(m.string))]
    fuzzy = [f"{m.id!r} ({where(m)})" for m in messages(vi) if m.fuzzy]
    assert not untranslated, "untranslated in vi:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy in vi:\n" + "\n".join(fuzzy)


# (b) in step with the source --------------------------------------------------------------

def test_extraction_finds_the_state_transition_and_guard_labels(extracted):
    ids = {as_tuple(message)[0] for message, _ in extracted}
    from referral_flow.workflow.states import STATES
    from referral_flow.workflow.transitions import TRANSITIONS
    from referral_flow.workflow.guards import DOSSIER_FORMS
    for lazy in [*STATES.values(), *(t.label for t in TRANSITIONS), *DOSSIER_FORMS.values()]:
        assert lazy._args[0] in ids
    files = {loc.split(":")[0] for locs in extracted.values() for loc in locs}
    assert any(f.startswith("templates/") for f in files), "no Jinja message extracted"
    assert "referral_flow/workflow/guards.py" in files


def test_every_source_message_is_in_the_vietnamese_catalogue(vi, extracted):
    missing = [f"{message!r} ({', '.join(locs)})" for (message, context), locs in
               extracted.items() if vi.get(message, context=context) is None]
    assert not missing, (
        "messages not in vi/messages.po; extract, update, translate and compile:\n"
        + "\n".join(missing))


# (c) the committed .mo files match their .po ------------------------------------------------

def mo_catalog(data: bytes) -> dict:
    table = dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)
    table.pop("", None)  # header (revision dates), not a message
    return table


@pytest.mark.parametrize("lang", TestingConfig.LANGUAGES)
def test_committed_mo_is_up_to_date(lang):
    buffer = io.BytesIO()
    write_mo(buffer, load_po(lang), use_fuzzy=False)
    expected = mo_catalog(buffer.getvalue())
    committed = mo_catalog(po_path(lang).with_suffix(".mo").read_bytes())
    stale = sorted(k for k in expected.keys() | committed.keys()
                   if expected.get(k) != committed.get(k))
    assert not stale, (
        f"{lang}/messages.mo differs from messages.po (run pybabel compile -d "
        f"referral_flow/translations): {stale[:10]}")


# (d) placeholders ----------------------------------------------------------------------------

def placeholders(text: str) -> tuple[list, list]:
    named, positional = [], []
    for match in PLACEHOLDER.finditer(text):
        if match["conv"] == "%":
            continue
        if match["name"] is None:
            positional.append(match["conv"])
        else:
            named.append((match["name"], match["conv"]))
    return sorted(set(named)), positional


def sample_values(named: list) -> dict:
    return {name: (1 if conv in "diouxXc" else 1.5 if conv in "eEfFgG" else "x")
            for name, conv in named}


@pytest.mark.parametrize("lang", TestingConfig.LANGUAGES)
def test_placeholders_match_the_msgid(lang):
    wrong = []
    for m in messages(load_po(lang)):
        # plural forms are checked against msgid_plural (Vietnamese has one form)
        msgid = as_tuple(m.id)[-1]
        for msgstr in as_tuple(m.string):
            if not msgstr:
                continue  # falls back to the msgid
            if placeholders(msgstr) != placeholders(msgid):
                wrong.append(f"{msgid!r} -> {msgstr!r}")
                continue
            named, positional = placeholders(msgid)
            try:  # both Flask-Babel and Jinja's newstyle gettext apply `% variables`
                msgstr % (sample_values(named) if named or not positional
                          else tuple("x" for _ in positional))
            except (TypeError, ValueError, KeyError) as exc:
                wrong.append(f"{msgstr!r}: {exc}")
    assert not wrong, f"placeholders differ in {lang}:\n" + "\n".join(wrong)


# the app really serves the catalogues ------------------------------------------------------

def test_app_serves_vietnamese_by_default_and_english_on_request():
    from referral_flow import create_app
    from referral_flow.workflow.states import label
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app(config | {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context("/"):
        assert label("draft") == "Dự thảo giới thiệu"
        assert label("removed") == "Xóa tên khỏi danh sách đảng viên dự bị"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert label("draft") == "Draft referral"
