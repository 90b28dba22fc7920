"""``flask rules show``: every rule set with its effective date and parameters."""
from __future__ import annotations

import json
from datetime import date

import pytest

from referral_flow.models import RuleSet
from referral_flow.workflow.rulesets import REQUIRED_KEYS, rule_set_on

SHIPPED = [("29-QĐ/TW", "25/07/2016"), ("24-QĐ/TW", "30/07/2021"), ("232-QĐ/TW", "20/01/2025"),
           ("294-QĐ/TW", "01/07/2025")]


def rules_show(app) -> list[str]:
    result = app.test_cli_runner().invoke(args=["rules", "show"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def blocks(lines: list[str]) -> dict[str, list[str]]:
    """Split the output into one block of parameter lines per rule set (keyed by its code)."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line.startswith(" "):
            out[current].append(line.strip())
        else:
            current = line.split()[0]
            out[current] = [line]
    return out


def test_lists_the_shipped_rule_sets_in_date_order(app):
    headers = [line for line in rules_show(app) if not line.startswith(" ")]
    assert len(headers) == len(SHIPPED)
    for header, (code, since) in zip(headers, SHIPPED, strict=True):
        assert header.startswith(f"{code}  in force from {since}  ")
        assert f"Quy định {code}" in header


@pytest.mark.parametrize("code", [code for code, _ in SHIPPED])
@pytest.mark.parametrize("parameter", [
    'cell_vote = {"num": 2, "den": 3, "strict": false}',
    'committee_vote = {"num": 2, "den": 3, "strict": false}',
    "decision_working_days = 60",
    "decision_extension_working_days = 30",
    "ceremony_working_days = 30",
    "probation_months = 12",
    "certificate_validity_months = 60",
    "min_age_months = 216",
    "max_age_months = 720",
    "introducer_min_months = 12",
    "thcs_required = true",
])
def test_shows_the_parameters_of_each_set(app, code, parameter):
    values = [line.split("    [TO CONFIRM")[0] for line in blocks(rules_show(app))[code]]
    assert parameter in values


VALIDITY = 'document_validity_months = {"1-KNĐ": 12, "2-KNĐ": 12, "3-KNĐ": 12, "4A-KNĐ": 12, ' \
           '"5-KNĐ": 12}'


@pytest.mark.parametrize("code", [code for code, _ in SHIPPED])
def test_document_validities_are_shown_to_confirm(app, code):
    """Every shipped set: 12 months for 1-, 2-, 3-, 4A- and 5-KNĐ (local procedures), each
    marked until the 06-HD/TW §5.4 table is read; the recognition forms' printed codes too."""
    shown = blocks(rules_show(app))[code]
    assert f"{VALIDITY}    [TO CONFIRM (cần xác nhận): 1-KNĐ, 2-KNĐ, 3-KNĐ, 4A-KNĐ, 5-KNĐ]" \
        in shown
    labels = next(line for line in shown if line.startswith("form_labels = "))
    assert '"13-KNĐ": "13-KNĐ"' in labels
    assert labels.endswith("[TO CONFIRM (cần xác nhận): 12-KNĐ, 13-KNĐ, 15-KNĐ, 16-KNĐ]")
    assert "ceremony_working_days = 30" in shown       # a confirmed figure has no mark
    assert not any(line.startswith("to_confirm") for line in shown)


def test_a_whole_parameter_marked_is_shown_to_confirm(app):
    shown = blocks(rules_show(app))
    assert "certificate_validity_months = 60    [TO CONFIRM (cần xác nhận)]" in shown["29-QĐ/TW"]
    assert "certificate_validity_months = 60" in shown["294-QĐ/TW"]


def test_every_required_parameter_is_shown_sorted(app):
    for header, *params in blocks(rules_show(app)).values():
        keys = [line.split(" = ")[0] for line in params]
        assert keys == sorted(REQUIRED_KEYS), header


def test_a_new_rule_set_is_listed_with_its_own_parameters(app, db):
    base = rule_set_on(date(2026, 1, 1))
    db.session.add(RuleSet(code="TEST-3/4", title="Stricter cell vote",
                           effective_from=date(2026, 3, 1),
                           params={**base.params, "cell_vote": {"num": 3, "den": 4,
                                                                "strict": False}}))
    db.session.commit()
    shown = blocks(rules_show(app))
    assert list(shown) == [code for code, _ in SHIPPED] + ["TEST-3/4"]
    assert shown["TEST-3/4"][0].startswith("TEST-3/4  in force from 01/03/2026  ")
    vote = json.dumps({"num": 3, "den": 4, "strict": False})
    assert f"cell_vote = {vote}" in shown["TEST-3/4"]
    assert f"cell_vote = {vote}" not in shown["294-QĐ/TW"]
