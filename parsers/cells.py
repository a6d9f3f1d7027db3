"""One printed cell -> (value, kind): numbers, blanks, dashes, 无, money units."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from parsers.labels import normalize_text
from parsers.model import BLANK, DASH, NONE_TEXT, NUMBER

DASHES = frozenset({"—", "——", "-", "--", "/", "_", "\\", "–", "―", "一"})
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)\s*(万元|万|元|件|条|个|项|次|笔|家|宗)?$")
MAX_DIGITS = 15  # more digits than any count or amount (and past what a float holds exactly)


@dataclass(frozen=True)
class Reading:
    value: int | float | None
    kind: str
    note: str = ""  # why a reader should look (unit assumed, unit converted…)


class UnreadableCell(ValueError):
    """A cell that holds text where a number belongs."""


@functools.lru_cache(maxsize=8192)
def clean_cell(text: str) -> str:
    """A cell as read: normalized, thousands commas dropped (cells repeat: cached)."""
    return normalize_text(text).replace(",", "").strip()


@functools.lru_cache(maxsize=8192)
def is_value_text(text: str | None) -> bool:
    """True for what can sit in a value cell: a number (with unit), blank, a dash or 无."""
    if text is None:
        return True
    t = text.strip()
    if not t or (t.isdigit() and t.isascii()):
        return True
    if len(t) > 4 and t[0] >= "\u2e80":
        return False  # a label: value cells hold at most a short word (无, 万元) after digits
    t = clean_cell(t)
    return t == "" or t in DASHES or t == "无" or bool(_NUMBER.match(t))


def _check_length(digits: str, text: str) -> None:
    if len(digits.replace(".", "")) > MAX_DIGITS:
        raise UnreadableCell(f"number of over {MAX_DIGITS} digits: {text.strip()[:40]!r}")


@functools.lru_cache(maxsize=8192)
def read_count(text: str, signed: bool = False) -> Reading:
    if text.isdigit() and text.isascii():
        _check_length(text, text)
        return Reading(int(text), NUMBER)
    t = clean_cell(text)
    if t == "":
        return Reading(0, BLANK)
    if t in DASHES:
        return Reading(0, DASH)
    if t == "无":
        return Reading(0, NONE_TEXT)
    m = _NUMBER.match(t)
    if not m or m.group(3) in ("万元", "万", "元"):
        raise UnreadableCell(f"not a count: {text.strip()!r}")
    sign, digits = m.group(1), m.group(2)
    _check_length(digits, text)
    if sign == "-" and not signed:
        raise UnreadableCell(f"negative count: {text.strip()!r}")
    number = float(digits) if "." in digits else int(digits)
    return Reading(-number if sign == "-" else number, NUMBER)


def read_money(text: str, default_unit: float) -> Reading:
    """Money in yuan: `10.9858万元` -> 109858.0; no unit -> the column's unit, flagged."""
    t = clean_cell(text)
    if t == "" or t in DASHES or t == "无":
        return read_count(t)
    m = _NUMBER.match(t)
    if not m or m.group(1) == "-":
        raise UnreadableCell(f"not an amount: {text.strip()!r}")
    _check_length(m.group(2), text)
    amount = float(m.group(2))
    unit = m.group(3)
    if unit in ("万元", "万"):
        return Reading(round(amount * 10000, 6), NUMBER, "unit 万元 converted to 元")
    if unit == "元":
        return Reading(amount, NUMBER)
    if amount == 0:
        return Reading(0.0, NUMBER)
    scale = "万元" if default_unit == 10000 else "元"
    return Reading(round(amount * default_unit, 6), NUMBER, f"no unit printed; read in {scale}")
