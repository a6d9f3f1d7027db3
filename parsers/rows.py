"""Every input shape becomes the same thing: a stream of rows (label cells, value cells).

- a cell grid (HTML, PDF): covered-by-span cells (None) dropped, labels = leading text cells;
- pipe text: one row per line (`a | b | c |`, Markdown, spans expanded into empty cells), or the
  seed's one cell per line with `|` filler lines (cells regrouped into rows at labels);
- glued text with no separators: rows rebuilt by anchoring on the template's row labels; the value
  run after a label is kept whole (`glued=True`) for the solver to cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from parsers.cells import is_value_text
from parsers.labels import normalize_text
from parsers.templates import T2_ROWS, T3_ROWS, RowSpec


@dataclass
class RawRow:
    labels: list[str]
    values: list[str]
    glued: bool = False  # values[0] is a run of cells whose separators were lost
    where: str = ""  # provenance: "table 3 row 7", "line 120"
    key: str | None = field(default=None, compare=False)  # set for glued rows found by their label
    end: int = field(default=0, compare=False)  # glued rows: where the value run ends in its line
    cells: list[str] = field(default_factory=list, compare=False)  # every printed cell, spans dropped
    header: list[str] | None = field(default=None, compare=False)  # the header row above it, if any


def cells_to_row(cells: list[str | None], where: str) -> RawRow | None:
    """Split one row's cells into leading labels and values; None (covered by a span) is dropped."""
    present = [c for c in cells if c is not None]
    if not any(c.strip() for c in present):  # a 表四 printed blank is a row of 15 empty cells
        return RawRow([], [""] * len(present), where=where, cells=[""] * len(present)) if len(present) >= 15 else None
    last_label = -1
    for i, cell in enumerate(present):
        if not is_value_text(cell):
            last_label = i
        elif cell.strip():
            break
    labels = [c.strip() for c in present[: last_label + 1] if c.strip()]
    cells = [c.strip() for c in present]
    return RawRow(labels, cells[last_label + 1:], where=where, cells=cells)


def grid_to_rows(grid: list[list[str | None]], name: str) -> Iterator[RawRow]:
    for i, cells in enumerate(grid):
        row = cells_to_row(cells, f"{name} row {i + 1}")
        if row is not None:
            yield row


# ---- pipe text -------------------------------------------------------------------------------

_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PIPES_ONLY = re.compile(r"^\|+\s*$")  # a filler line; " |" (a space before) is a blank cell
_ONE_CELL = re.compile(r"^[^|]*\|\s*$")


def split_pipe_line(line: str) -> list[str]:
    parts = line.split("|")
    if line.startswith("|"):  # a leading pipe; " | x |" starts with a blank cell
        parts = parts[1:]
    if line.rstrip().endswith("|"):
        parts = parts[:-1]
    return [p.strip() for p in parts]


def _regroup_cell_lines(lines: list[tuple[int, str]]) -> Iterator[RawRow]:
    """The seed's shape: one `cell |` per line, `|`-only lines where the grid had no cell."""
    cells: list[str] = []
    has_value = False
    start = lines[0][0] if lines else 0
    for number, line in lines:
        if _PIPES_ONLY.match(line):
            yield from _flush(cells, start)
            cells, has_value, start = [], False, number + 1
            continue
        cell = line.rstrip()[:-1].strip()
        value = is_value_text(cell)
        if has_value and not value:
            yield from _flush(cells, start)
            cells, has_value, start = [], False, number
        cells.append(cell)
        has_value = has_value or value
    yield from _flush(cells, start)


def _flush(cells: list[str], start: int) -> Iterator[RawRow]:
    row = cells_to_row(list(cells), f"line {start + 1}") if cells else None
    if row is not None:
        yield row


# ---- glued text ------------------------------------------------------------------------------

_UNITS = "笔个项件次家宗"  # count units printed after a 表二 count (`2笔`, `1个246900元`)
_MARKS = r"\-—/_无–―"  # cells printed as a dash or 无
_VALUE_RUN = re.compile(rf"[ \t]*((?:[\d.+{_MARKS}]|万元|元)(?:[\d.+{_MARKS} \t]|万元|元|(?<=\d)[{_UNITS}])*)")


@dataclass(frozen=True)
class Anchor:
    """How a row label is recognised in glued text: its core, what may stand before and after it."""

    key: str
    core: str
    before: re.Pattern[str]  # numbering and head, matched against the text just before the core
    after: re.Pattern[str]  # the rest of the label, up to where the values start
    needs_number: bool = False
    empty: re.Pattern[str] | None = None  # the rest of the label when no value follows (an empty row)


def _spaced(text: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in text)


def _t3_anchor(spec: RowSpec) -> Anchor:
    number = normalize_text(spec.number)
    prefix = rf"{number[0]}\s*[.、,]\s*" if number[:1].isdigit() else _spaced(number)
    generic = spec.core in ("总计", "其他")
    head = "" if generic else r"[^\d\s|、)]{0,14}?"
    before = re.compile(f"(?:{prefix})" + ("" if generic else "?") + head + r"\Z")
    tail = r"(?![法处对结])" if spec.core == "其他" else rf"[^\d|]{{0,{len(spec.label) + 8}}}?"
    return Anchor(spec.key, spec.core, before, re.compile(tail + _VALUE_AHEAD), generic,
                  re.compile(tail + _NEXT_ROW))


def _t2_anchor(key: str, core: str) -> Anchor:
    return Anchor(key, core, re.compile(r"(?:行\s*政\s*)?\Z"),
                  re.compile(r"(?:\s*\([^)]{0,60}\))?" + _VALUE_AHEAD),
                  empty=re.compile(r"(?:\s*\([^)]{0,60}\))?" + _NEXT_T2_ROW))


_VALUE_AHEAD = r"(?=[ \t]*(?:[\d—/_–―]|-(?!\d*[.、])|无(?![法正])))"
# What may follow a row printed with no value at all: the next row's numbering, a group label or
# section (`3.补正后…`, `(四)无法提供`, `四、`); in 表二 also the next block or row label. Never the
# end of a line: a label alone on its line (loose text of a shredded table) is no empty row.
_NEXT_T3 = r"\d{1,2}\s*[.、,]\s*[^\d\s.]|\(\s*[一二三四五六七八九十]\s*\)|[一二三四五六]\s*、"
_NEXT_ROW = rf"(?=[ \t]*(?:{_NEXT_T3}))"
_NEXT_T2_ROW = (rf"(?=[ \t]*(?:{_NEXT_T3}|第\s*二\s*十\s*条|行\s*政|规\s*范\s*性|其\s*他\s*对\s*外|"
                r"政\s*府\s*集\s*中))")
_ANCHORS = [_t3_anchor(spec) for spec in T3_ROWS] + [
    _t2_anchor(row.key, row.core) for row in {r.core: r for t in T2_ROWS.values() for r in t}.values()]
_FIRST_CHARS = "".join(sorted({a.core[0] for a in _ANCHORS}))
_CORES = re.compile(f"(?=[{_FIRST_CHARS}])(?:" + "|".join(
    f"(?P<a{i}>{_spaced(a.core)})" for i, a in sorted(enumerate(_ANCHORS), key=lambda ia: -len(ia[1].core))) + ")")


def find_anchors(line: str, begin: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, key) of every row label followed by a value run, leftmost first, no overlaps.

    One scan finds the labels' distinctive cores; each hit is then widened to its numbering
    before and the rest of its label after, and kept only when values follow.
    """
    kept: list[tuple[int, int, str]] = []
    for m in _CORES.finditer(line, begin):
        anchor = _ANCHORS[int(m.lastgroup[1:])]  # type: ignore[index]
        window = max(begin, m.start() - 24)
        head = anchor.before.search(line, window, m.start())
        tail = anchor.empty.match(line, m.end()) if anchor.empty is not None else None
        if tail is None:  # values follow (an empty row is tried first: its label ends where the next row starts)
            tail = anchor.after.match(line, m.end())
        if head is None or tail is None:
            continue
        start = head.start() if head.end() == m.start() else m.start()
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, tail.end(), anchor.key))
    return kept


_TABLES_START = re.compile(r"第\s*二\s*十\s*条|信\s*息\s*内\s*容|本\s*年\s*新\s*收")
_TABLES_END = re.compile(r"五\s*、|存在的主要问题")


class GluedReader:
    """Reads plain lines in order: anchors count only inside the tables, 表四 follows 表三."""

    def __init__(self) -> None:
        self.in_tables = False
        self.want_t4 = False
        self.done = False

    def rows(self, line: str, number: int) -> Iterator[RawRow]:
        if self.done:
            return
        begin = 0
        if not self.in_tables:
            m = _TABLES_START.search(line)
            if not m:
                return
            self.in_tables, begin = True, m.start()
        if not self.want_t4:
            for row in glued_line_to_rows(line, number, begin):
                if row.key == "carried_forward":
                    self.want_t4 = True
                    begin = row.end
                yield row
        if self.want_t4:
            yield from self._t4(line, number, begin)

    def _t4(self, line: str, number: int, begin: int) -> Iterator[RawRow]:
        stop = _TABLES_END.search(line, begin)
        text = line[begin: stop.start() if stop else len(line)]
        run = glued_t4_run(text)
        if run is None and stop:
            run = after_t4_headers(text)
        if run is not None:
            row = RawRow([], [run.strip()], glued=True, where=f"line {number + 1}")
            row.key = "t4"
            self.done = True
            yield row
        elif stop:
            self.done = True


def glued_line_to_rows(line: str, number: int, begin: int = 0) -> Iterator[RawRow]:
    anchors = find_anchors(line, begin)
    rows: list[RawRow] = []
    for i, (start, end, key) in enumerate(anchors):
        stop = anchors[i + 1][0] if i + 1 < len(anchors) else len(line)
        m = _VALUE_RUN.match(line, end, stop)
        where = f"line {number + 1}, char {start + 1}"
        if m and m.group(1).strip():
            row = RawRow([line[start:end].strip()], [m.group(1).strip()], glued=True, where=where)
            row.key, row.end = key, m.end()
            rows.append(row)
            if key in _T2_KEYS:
                rows.extend(_extra_t2_row(line, m.end(), stop, number))
        elif re.match(_NEXT_T2_ROW, line[end:stop]) or (stop < len(line) and not line[end:stop].strip()):
            row = RawRow([line[start:end].strip()], [""], glued=True, where=where + " (printed empty)")
            row.key, row.end = key, end
            rows.append(row)
    with_values = {r.key for r in rows if r.values[0]}
    yield from (r for r in rows if r.values[0] or r.key not in with_values)


_T2_KEYS = {row.key for t in T2_ROWS.values() for row in t}
_EXTRA_ROW = re.compile(r"[ \t]*(?P<label>[^\d\s|][^\d|]{1,60}?)[ \t]*(?P<run>\d[\d.+\-—/ \t]*(?:万元|元)?)"
                        r"[ \t]*(?=第\s*二\s*十\s*条|三\s*、|$)")
_HEADER_WORDS = ("第二十条", "信息内容", "数量", "件数", "金额", "本年")


def _extra_t2_row(line: str, begin: int, stop: int, number: int) -> Iterator[RawRow]:
    """A 表二 row in no template (其他主动公开文件…) sitting between two template rows: kept aside."""
    m = _EXTRA_ROW.match(line[:stop], begin)
    if m and not any(w in "".join(m.group("label").split()) for w in _HEADER_WORDS):
        yield RawRow([m.group("label").strip()], [m.group("run").strip()], glued=True,
                     where=f"line {number + 1}, char {m.start('label') + 1}")


_T4_CELL = r"[\d—/_无\-–―]"
_T4_RUN = re.compile(rf"(?<![\d.])({_T4_CELL}(?:[ \t]*{_T4_CELL})*)")


_T4_HEAD_END = re.compile(r"(?:总\s*计|尚\s*未\s*审\s*结)(?P<run>[\d—/_无\-–― \t]*)$")


def after_t4_headers(text: str) -> str | None:
    """A 表四 printed with blank cells: what stands between its last header word and the next
    section, when that is only digits (fewer than 15) or nothing at all (every cell blank)."""
    m = _T4_HEAD_END.search(text.rstrip())
    if m is None or not re.search(r"行\s*政\s*复\s*议", text):
        return None
    return m.group("run")


def glued_t4_run(text: str) -> str | None:
    """The 表四 value run: the first run of ≥15 digits after the 表四 headers."""
    for m in _T4_RUN.finditer(text):
        if sum(ch.isdigit() or ch in "—/_无-–―" for ch in m.group(1)) >= 15:
            return m.group(1)
    return None


# ---- text -> rows -----------------------------------------------------------------------------


def text_to_rows(text: str, normalized: bool = False) -> list[RawRow]:
    """Rows of a text document; pass normalized=True for text already through normalize_text."""
    lines = (text if normalized else normalize_text(text)).splitlines()
    rows: list[RawRow] = []
    glued = GluedReader()
    for kind, block in _blocks(lines):
        if kind == "cells":
            rows.extend(_regroup_cell_lines(block))
        elif kind == "pipes":
            rows.extend(r for n, line in block if (r := cells_to_row(split_pipe_line(line), f"line {n + 1}")))
        else:
            for n, line in block:
                rows.extend(glued.rows(line, n))
    return rows


def _blocks(lines: Iterable[str]) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """Consecutive lines of one kind: `cells` (one cell per line), `pipes` (a row per line), `plain`."""
    kind, block = "", []
    for n, line in enumerate(lines):
        if _MD_RULE.match(line) and "-" in line:
            continue
        this = _line_kind(line)
        if this != kind and block:
            yield kind, block
            block = []
        kind = this
        block.append((n, line))
    if block:
        yield kind, block


_QUOTED = re.compile(r"《[^《》]*》")
MAX_PIPE_CELL = 200  # a cell longer than this is prose (or a whole glued body), not a table cell


def _line_kind(line: str) -> str:
    if "|" not in line:
        return "plain"
    bare = _QUOTED.sub("", line)  # a title quoted in the prose (《…|…》) is no cell separator
    if "|" not in bare or max(len(part) for part in bare.split("|")) > MAX_PIPE_CELL:
        return "plain"
    if _PIPES_ONLY.match(line) or (_ONE_CELL.match(line) and not line.startswith("|")):
        return "cells"
    return "pipes"
