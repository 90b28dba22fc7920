"""The measuring scripts' pure helpers: percentiles, tables, the growth table, form parsing,
the audit-chain bench's figures."""
from __future__ import annotations

from bench.audit_contention import medians, summarise
from bench.growth import growth_table
from bench.http_client import form_fields
from bench.tables import markdown, num, percentile, ratio


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([], 95) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == 95.05


def test_numbers_and_markdown():
    assert (num(None), num(1234), num(1234.56), ratio(0.0012345)) == ("–", "1,234", "1,234.6",
                                                                      "0.00123")
    assert markdown(["page", "ms"], [["a", 1]]) == "| page | ms |\n| --- | ---: |\n| a | 1 |"


def test_growth_table_matches_pages_by_label_across_scales():
    def run(scale, p95, page_ratio):
        return {"meta": {"scale": scale},
                "pages": [{"label": "inbox (x)", "server_p95_ms": p95, "ratio": page_ratio}]}

    table = growth_table([run("1x", 10.0, 0.01), run("10x", 55.0, 0.002)]).splitlines()
    assert table[0] == ("| page (user) | 1x p95 ms | 1x ratio | 10x p95 ms | 10x ratio "
                        "| p95 1x → 10x |")
    assert table[2] == "| inbox (x) | 10.0 | 0.01 | 55.0 | 0.002 | 5.5× |"


def test_form_fields_reads_the_form_of_the_action_as_a_browser_would():
    page = ('<form action="/other"><input name="x" value="1"></form>'
            '<form method="post" action="/cases/7/extend_decision">'
            '<input name="t-csrf_token" type="hidden" value="a&amp;b">'
            '<input name="t-flag" type="checkbox" value="y">'
            '<textarea name="t-comment">\r\n</textarea></form>')
    assert form_fields(page, "/cases/7/extend_decision") == {"t-csrf_token": "a&b",
                                                             "t-comment": "\r\n"}
    assert form_fields(page, "/cases/8/extend_decision") is None


def test_audit_contention_figures_sum_processes_and_take_medians_over_rounds():
    moves = [{"kind": "transitions", "n": n, "errors": 0, "elapsed": 2.0, "ms": [10.0] * n,
              "wait_ms": [2.5] * n, "hold_ms": [4.0] * n} for n in (10, 30)]
    views = {"kind": "reads", "n": 50, "errors": 0, "elapsed": 5.0, "ms": [1.0]}
    row = summarise([*moves, views])
    assert (row["transitions"], row["tps"], row["wait_share"], row["hold_mean_ms"],
            row["reads_per_s"]) == (40, 20.0, 0.25, 4.0, 10.0)
    rounds = [row | {"mode": "locked", "procs": 2, "readers": 1, "loadavg": load, "tps": tps}
              for load, tps in ((1.0, 20.0), (3.0, 40.0), (2.0, 30.0))]
    [merged] = medians(rounds)
    assert (merged["tps"], merged["loadavg"], merged["rounds_tps"]) == (30.0, 2.0,
                                                                        [20.0, 40.0, 30.0])
