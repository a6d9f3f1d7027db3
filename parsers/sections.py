"""A report's numbered sections (一、总体情况 … 六、其他需要报告的事项) as text, and the 信息处理费 the prose states.

Pure: normalized text in (parsers.labels.normalize_text), records out; no I/O.

    split_sections(text) -> [Section(number=1, title="总体情况", key="overview", text="…"), …]
    processing_fee(text) -> 1200.0 | 0.0 | None

A heading is a Chinese numeral with 、 followed by a title: on a line of its own (any shape with line
breaks: HTML text, Markdown `## 一、…`, plain text), or anywhere in glued text when the title is
one of the template's section titles (known by their distinctive words, so variants such as
"存在的问题及改进措施" count). The numbers must run 一, 二, 三… in order; a line that only looks like a
heading (表三's "四、结转下年度继续办理") is skipped when the template's own heading with that number
follows; a template title may come one number after a gap (its predecessor misprinted, as in
"行政法复议"), the missing section's text then staying in the one before. Lines of a table (cells separated by `|`) are left out of a section's text; glued text
keeps its tables (nothing tells them from the prose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.model import Section

NUMERALS = "一二三四五六七八九十"
_T = r"[^，。；;,.:|\d\n]"  # one character of a title (no clause break, digit, cell separator or line break)
KNOWN_TITLES: dict[str, str] = {
    "overview": rf"{_T}{{0,12}}?(?:总体情况|总体概况|基本情况|概述)",
    "proactive": rf"{_T}{{0,6}}?主动公开{_T}{{0,12}}?情况",
    "requests": rf"{_T}{{0,6}}?(?:收到和处理|依申请公开){_T}{{0,16}}?情况",
    "appeals": rf"{_T}{{0,16}}?复议{_T}{{0,16}}?诉讼{_T}{{0,6}}?情况",
    "problems": rf"{_T}{{0,12}}?存在的?(?:主要)?问题{_T}{{0,12}}?(?:情况|措施|举措|方向|计划|打算)",
    "other_matters": r"其他需要报告的?事项",
}
_KNOWN = {key: re.compile(rf"(?:{pattern})(?:\(表\))?") for key, pattern in KNOWN_TITLES.items()}
_NUMBER = rf"([{NUMERALS}]{{1,3}})[、,.]"
_LINE_HEADING = re.compile(rf"^[#\s]*{_NUMBER}\s*([^|。\n]{{1,40}}?)\s*$", re.M)
_GLUED_HEADING = re.compile(rf"{_NUMBER}\s*")
_TABLE_LINE = re.compile(r"\|")
MAX_TITLE = 40


@dataclass(frozen=True)
class _Heading:
    start: int  # where the heading begins
    end: int  # where its text begins
    number: int
    title: str
    key: str | None  # a KNOWN_TITLES key, or None for a heading of another title


def numeral_value(text: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十 -> 20 (up to 99); None for anything else."""
    digits = [NUMERALS.index(ch) + 1 for ch in text if ch in NUMERALS]
    if len(digits) != len(text) or not digits:
        return None
    if len(digits) == 1:
        return digits[0]
    if len(digits) == 2 and digits[0] == 10:
        return 10 + digits[1]
    if len(digits) == 2 and digits[1] == 10:
        return digits[0] * 10
    if len(digits) == 3 and digits[1] == 10 and digits[0] < 10 and digits[2] < 10:
        return digits[0] * 10 + digits[2]
    return None


def known_key(title: str) -> str | None:
    """The KNOWN_TITLES key whose pattern the whole title matches (white space ignored), else None."""
    flat = "".join(title.split())
    return next((key for key, rx in _KNOWN.items() if rx.fullmatch(flat)), None)


def _line_headings(text: str) -> list[_Heading]:
    found = []
    for m in _LINE_HEADING.finditer(text):
        number = numeral_value(m.group(1))
        if number is not None:
            title = m.group(2).strip()
            found.append(_Heading(m.start(), m.end(), number, title, known_key(title)))
    return found


def _glued_headings(text: str) -> list[_Heading]:
    found = []
    for m in _GLUED_HEADING.finditer(text):
        number = numeral_value(m.group(1))
        if number is None:
            continue
        for key, rx in _KNOWN.items():
            title = rx.match(text, m.end())
            if title:
                found.append(_Heading(m.start(), title.end(), number, title.group(0), key))
                break
    return found


def find_headings(text: str) -> list[_Heading]:
    """The section headings, numbered 一, 二, 三… in order of appearance."""
    by_start = {h.start: h for h in _glued_headings(text)}
    for h in _line_headings(text):  # a line heading keeps its whole printed title
        by_start[h.start] = h
    candidates = sorted(by_start.values(), key=lambda h: h.start)
    chosen: list[_Heading] = []
    for i, h in enumerate(candidates):
        last = chosen[-1].number if chosen else 0
        if h.number != last + 1 and not (h.key and last < h.number <= last + 2 and chosen):
            continue  # out of order; a template title may skip one number (a heading misprinted)
        if h.key is None and any(o.key and o.number == h.number for o in candidates[i + 1:]):
            continue  # looks like a heading (a table's row label); the template's own one follows
        chosen.append(h)
    return chosen


def section_text(text: str) -> str:
    """The prose of a section: table lines left out, spaces inside a line collapsed."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line and not _TABLE_LINE.search(line))


def split_sections(text: str) -> list[Section]:
    """Every numbered section of the report, in order (none when no heading 一、… is found)."""
    headings = find_headings(text)
    sections = []
    for i, h in enumerate(headings):
        nxt = headings[i + 1] if i + 1 < len(headings) else None
        body = text[h.end: nxt.start if nxt else len(text)]
        title = h.title.lstrip("#").strip()[:MAX_TITLE]
        sections.append(Section(number=h.number, title=title, key=h.key, text=section_text(body)))
    return sections


# ---- 信息处理费 -------------------------------------------------------------------------------

_AMOUNT = r"(\d[\d,]*(?:\.\d+)?)\s*(万)?元"
_FEE_STATED = (
    re.compile(rf"(?:收取|收缴|收|共收)(?:了)?(?:政府)?信息处理费(?:共计|共|合计|总计|总额为?|为)?{_AMOUNT}"),
    re.compile(rf"信息处理费(?:收入|金额|总额)?(?:共计|共|合计|总计|为)?{_AMOUNT}"),
)
_FEE_NONE = re.compile(r"(?:未|没有|不|无)(?:收取|收缴|收)(?:任何)?(?:政府)?信息处理费|信息处理费(?:为)?(?:0|零)元?(?![\d.])"
                       r"|免(?:收|除)(?:了)?(?:政府)?信息处理费")


def processing_fee(text: str) -> float | None:
    """The 信息处理费 the prose states, in 元 (万元 converted); 0.0 when it says none was charged;
    None when it says nothing, or two different amounts (the prose does not decide it)."""
    flat = "".join(text.split())
    amounts = {_yuan(m) for rx in _FEE_STATED for m in rx.finditer(flat)}
    if len(amounts) == 1:
        return amounts.pop()
    if not amounts and _FEE_NONE.search(flat):
        return 0.0
    return None


def _yuan(m: re.Match[str]) -> float:
    value = float(m.group(1).replace(",", ""))
    return round(value * 10000, 2) if m.group(2) else value
