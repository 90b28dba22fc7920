"""Vietnamese as the forms write it: numbers in words, dates written out.

These are the words of Party documents, always Vietnamese whatever the user's language
(not translatable UI strings).
"""
from __future__ import annotations

from datetime import date

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
LARGEST = 9999


def _tens(n: int, *, inner: bool) -> str:
    """0..99 in words; ``inner``: after a hundreds digit ("một trăm linh năm")."""
    tens, units = divmod(n, 10)
    if tens == 0:
        if units == 0:
            return ""
        return ("linh " if inner else "") + DIGITS[units]
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if units == 0:
        return head
    if units == 1:
        tail = "một" if tens == 1 else "mốt"
    elif units == 4 and tens > 1:
        tail = "tư"
    elif units == 5:
        tail = "lăm"
    else:
        tail = DIGITS[units]
    return f"{head} {tail}"


def number_words(n: int) -> str:
    """``n`` (0..9999) in Vietnamese words: 11 "mười một", 21 "hai mươi mốt",
    105 "một trăm linh năm", 1005 "một nghìn không trăm linh năm"."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"{n} is outside 0..{LARGEST}")
    if n < 10:
        return DIGITS[n]
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    parts = []
    if thousands:
        parts.append(f"{DIGITS[thousands]} nghìn")
    if hundreds or (thousands and below):
        parts.append(f"{DIGITS[hundreds]} trăm")
    if below:
        parts.append(_tens(below, inner=bool(parts)))
    return " ".join(parts)


def date_words(day: date | None) -> str:
    """"ngày 05 tháng 01 năm 2026" (36-HD/VPTW: a day below 10 and the months 1 and 2
    take a leading zero); a blank to fill by hand when the date is not recorded."""
    if day is None:
        return "ngày ..... tháng ..... năm ........"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(day: date | None) -> str:
    """dd/mm/yyyy (a birth date on a form), or a dotted blank."""
    return day.strftime("%d/%m/%Y") if day else "...../...../........"


def share(part: int, whole: int, people: str) -> str:
    """"9/11 đảng viên chính thức (chín trên mười một), đạt 81,8%"."""
    percent = f"{part * 100 / whole:.1f}".replace(".", ",").removesuffix(",0") if whole else "0"
    return (f"{part}/{whole} {people} ({number_words(part)} trên {number_words(whole)}), "
            f"đạt {percent}%")
