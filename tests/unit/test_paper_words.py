"""Numbers and dates as the Party's forms write them (referral_flow/papers/words.py)."""
from datetime import date

import pytest

from referral_flow.papers.words import date_words, number_words, share


@pytest.mark.parametrize("n, words", [
    (0, "không"), (5, "năm"), (10, "mười"), (11, "mười một"), (14, "mười bốn"),
    (15, "mười lăm"), (20, "hai mươi"), (21, "hai mươi mốt"), (24, "hai mươi tư"),
    (25, "hai mươi lăm"), (100, "một trăm"), (105, "một trăm linh năm"),
    (110, "một trăm mười"), (115, "một trăm mười lăm"), (1000, "một nghìn"),
    (1005, "một nghìn không trăm linh năm"), (1021, "một nghìn không trăm hai mươi mốt"),
    (2158, "hai nghìn một trăm năm mươi tám"), (9999, "chín nghìn chín trăm chín mươi chín"),
])
def test_numbers_in_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize("n", [-1, 10_000])
def test_numbers_outside_the_range_are_refused(n):
    with pytest.raises(ValueError):
        number_words(n)


def test_dates_are_written_out_with_the_leading_zeros_of_36_hd():
    assert date_words(date(2025, 12, 15)) == "ngày 15 tháng 12 năm 2025"
    assert date_words(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert date_words(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
    assert "....." in date_words(None)


def test_a_vote_share_in_figures_and_words():
    assert share(9, 11, "đảng viên chính thức") == (
        "9/11 đảng viên chính thức (chín trên mười một), đạt 81,8%")
    assert share(9, 9, "cấp ủy viên").endswith("(chín trên chín), đạt 100%")
