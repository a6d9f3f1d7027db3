"""Rows -> the cells of 表二/三/四: match labels to keys, fit values, cut glued runs, derive blank totals."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from parsers.cells import Reading, UnreadableCell, read_count, read_money
from parsers.checks import check_balance, check_results, result_parts
from parsers.evidence import prose_cells, prose_t3, settle_columns
from parsers.glued import Options, decide, filled_readings, glued_options, open_values
from parsers.labels import normalize_label, strip_numbering
from parsers.model import ASSUMED, BLANK, DASH, DERIVED, MISSING, NONE_TEXT, UNDECIDED, UNREADABLE, Cell
from parsers.rows import RawRow
from parsers.solver import COUNT, MONEY, SIGNED, Shape, part_value
from parsers.templates import (
    T2_HEADERS,
    T2_MARKERS,
    T2_ROWS,
    T2_SIGNED,
    T3_COLUMNS,
    T3_ROWS,
    T4_COLUMNS,
    T2Row,
)

T3_SHAPE = Shape((COUNT,) * 7, ((0, 6),))
T4_SHAPE = Shape((COUNT,) * 15, ((0, 4), (5, 9), (10, 14)))
MAX_COMBINATIONS = 20000
_NOTE = re.compile(r"\([^)]*\)$")
_PAGE = re.compile(r"\bpage (\d+)\b")


@dataclass
class Tables:
    """Rows found for each table, before reading: key -> the row (first one wins)."""

    t2: dict[str, RawRow] = field(default_factory=dict)
    t3: dict[str, RawRow] = field(default_factory=dict)
    t4: RawRow | None = None
    t3_unplaced: list[tuple[int, RawRow]] = field(default_factory=list)  # (row index, row)
    t4_pieces: list[RawRow] = field(default_factory=list)  # 表四 printed as three 5-cell tables
    extra: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---- labels -> keys --------------------------------------------------------------------------

_T3_CORES = [(spec.key, spec.core) for spec in T3_ROWS if spec.core not in ("总计", "其他")]
_T2_CORES = {row.core: row.key for t in T2_ROWS.values() for row in t}


def t3_key(label: str) -> str | None:
    plain = strip_numbering(label)
    if plain == "总计" and label in ("总计", "(七)总计"):
        return "results_total"
    if plain == "其他" and re.match(r"3[.、,]", label):
        return "other.other"
    for key, core in _T3_CORES:
        if core in label:
            return key
    return None


def t2_key(label: str) -> str | None:
    plain = _NOTE.sub("", strip_numbering(label))
    if plain.startswith("行政") and plain[2:] == "规范性文件":
        plain = plain[2:]
    return _T2_CORES.get(plain)


@functools.lru_cache(maxsize=8192)
def label_key(label: str) -> tuple[str | None, str | None]:
    """(table, key) of one printed label (labels repeat across reports: cached)."""
    norm = normalize_label(label)
    if key := t3_key(norm):
        return "t3", key
    if key := t2_key(norm):
        return "t2", key
    return None, None


def row_key(row: RawRow) -> tuple[str | None, str | None]:
    """(table, key) of a row, from its most specific label."""
    for label in reversed(row.labels):
        found = label_key(label)
        if found[1] is not None:
            return found
    return None, None


# ---- rows -> tables ---------------------------------------------------------------------------


def rows_to_tables(rows: list[RawRow]) -> Tables:
    tables = Tables()
    current, header = None, None
    for index, row in enumerate(rows):
        if not row.labels and not any(v.strip() for v in row.values):  # a row of empty cells
            if tables.t4 is None and is_t4_header(header) and len(row.values) == 15:
                tables.t4, current = row, "t4"
                tables.warnings.append(f"t4: every cell printed blank ({row.where})")
            continue
        table, key = _classify(row)
        if table == "t4":
            if tables.t4 is None:
                tables.t4 = row
            current = "t4"
        elif key is not None and has_values(row, table):
            current = table
            row.header = header
            _place(tables, table, key, row)
        elif row.values and any(v.strip() for v in row.values):
            _unmatched(tables, current, index, row)
        elif not any(v.strip() for v in row.values):
            header = row.cells
    return tables


def has_values(row: RawRow, table: str | None) -> bool:
    """A header row has labels only; a data row has printed values, or blank cells (a 表二 row may
    have one; a 表三 header can end in empty cells, so there it takes several)."""
    if row.glued or any(v.strip() for v in row.values):  # a glued row found by its label: printed empty
        return True
    return len(row.values) >= (1 if table == "t2" else 3)


_T4_HEADER_WORDS = ("维持", "纠正", "尚未审结", "行政复议", "复议后起诉", "直接起诉")


def is_t4_header(cells: list[str] | None) -> bool:
    """A 表四 header row (its outcome or group words; no 表二/表三 label holds them)."""
    return _t4_header_text("".join(cells or ()))


@functools.lru_cache(maxsize=8192)
def _t4_header_text(text: str) -> bool:
    flat = normalize_label(text)
    return sum(w in flat for w in _T4_HEADER_WORDS) >= 2


def _classify(row: RawRow) -> tuple[str | None, str | None]:
    if row.key == "t4":
        return "t4", None
    if row.labels and is_t4_header(row.labels) and len(fit(row.values, 15) or ()) == 15:
        return "t4", None  # 15 header cells on one row, then the 15 values (the seed's cell-per-line shape)
    if row.key:
        return ("t3" if row.key in {s.key for s in T3_ROWS} else "t2"), row.key
    table, key = row_key(row)
    if key is None and len(fit(row.values, 15) or ()) == 15 and not row.labels:
        return "t4", None
    return table, key


def _place(tables: Tables, table: str, key: str, row: RawRow) -> None:
    target = tables.t2 if table == "t2" else tables.t3
    if key in target:
        tables.warnings.append(f"{table}.{key}: printed twice ({target[key].where}, {row.where}); kept the first")
        return
    target[key] = row


def _unmatched(tables: Tables, current: str | None, index: int, row: RawRow) -> None:
    if current in ("t3", "t4") and not row.labels and len(row.values) == 5 and tables.t4 is None:
        _t4_piece(tables, row)
    elif current == "t3":
        tables.t3_unplaced.append((index, row))
    elif current == "t2":
        tables.extra.append({"table": "t2", "labels": row.labels, "values": row.values, "where": row.where})
        tables.warnings.append(f"t2: extra row {'/'.join(row.labels) or '(no label)'} kept aside ({row.where})")


def _t4_piece(tables: Tables, row: RawRow) -> None:
    """表四 split into one table per group (复议, 直接起诉, 复议后起诉): join the three 5-cell rows."""
    tables.t4_pieces.append(row)
    if len(tables.t4_pieces) == 3:
        parts = tables.t4_pieces
        tables.t4 = RawRow([], [v for p in parts for v in p.values], where=", ".join(p.where for p in parts))
        tables.warnings.append(f"t4: printed as three 5-cell tables ({tables.t4.where}); joined in template order")


def place_cells(row: RawRow, width: int, columns: tuple[str, ...] = ()) -> list[str] | None:
    """A row's value cells, one per column, when there is a single way to place them."""
    options = cell_options(row, width, columns)
    return list(options[0]) if len(options) == 1 else None


def cell_options(row: RawRow, width: int, columns: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Ways to place a row's value cells, one per column: as printed when the count fits; else
    without the empty span fillers when that leaves one per column; else under their column
    headers; else trimmed at the ends (several ways when fillers sit at both ends)."""
    if len(row.values) == width:
        return [tuple(row.values)]
    printed = [v for v in row.values if v]
    if len(printed) == width:
        return [tuple(printed)]
    placed = by_header(row, columns)
    if placed is not None and sum(1 for v in placed if v) == len(printed):
        return [tuple(placed)]
    return fit_options(row.values, width, row_adds_up if width == 7 else None)


def by_header(row: RawRow, columns: tuple[str, ...]) -> list[str] | None:
    """Cells taken at the positions of their column headers (rows whose spans were expanded into
    empty cells keep the header's grid); None unless every column's header is found once."""
    if not row.header or not columns:
        return None
    heads = [normalize_label(h) for h in row.header]
    picked = []
    for col in columns:
        spots = [i for i, h in enumerate(heads) if T2_HEADERS[col] in h]
        if len(spots) != 1 or spots[0] >= len(row.cells):
            return None
        picked.append(row.cells[spots[0]])
    return picked


def fit(values: list[str], width: int) -> list[str] | None:
    """Drop span fillers (empty cells) at the ends until the row has `width` cells, if one way does."""
    options = fit_options(values, width)
    return list(options[0]) if len(options) == 1 else None


def fit_options(values: list[str], width: int, adds_up=None) -> list[tuple[str, ...]]:
    """The ways to drop span fillers (empty cells) at the ends until the row has `width` cells.

    Where fillers sit at both ends there are several; `adds_up`, when given, keeps the ones whose
    arithmetic holds.
    """
    excess = len(values) - width
    if excess < 0:
        return []
    lead = next((i for i, v in enumerate(values) if v != ""), len(values))
    trail = next((i for i, v in enumerate(reversed(values)) if v != ""), len(values))
    options = sorted({tuple(values[i: len(values) - (excess - i)]) for i in range(excess + 1)
                      if i <= lead and excess - i <= trail})
    if adds_up is not None and len(options) > 1:
        options = [o for o in options if adds_up(o)]
    return options


def row_adds_up(cells: tuple[str, ...]) -> bool:
    """A 表三 row whose printed total (when printed) is the sum of its six parts."""
    total = cells[-1].strip()
    return total == "" or part_value(total) == sum(part_value(c.strip()) for c in cells[:-1])


# ---- unlabeled 表三 rows --------------------------------------------------------------------


def place_unlabeled(tables: Tables, order: list[str], rows_index: dict[str, int]) -> None:
    """Rows of 表三 that lost their label go, in order, into the template rows between two labeled ones."""
    groups: dict[tuple[int, int], list[RawRow]] = {}
    labeled = sorted((rows_index[k], order.index(k)) for k in tables.t3 if k in order)
    for index, row in tables.t3_unplaced:
        before = max((pos for ri, pos in labeled if ri < index), default=-1)
        after = min((pos for ri, pos in labeled if ri > index), default=len(order))
        groups.setdefault((before, after), []).append(row)
    for (before, after), rows in groups.items():
        gaps = [k for k in order[before + 1: after] if k not in tables.t3]
        if len(gaps) != len(rows):
            for row in rows:
                tables.extra.append({"table": "t3", "labels": row.labels, "values": row.values, "where": row.where})
            tables.warnings.append(f"t3: {len(rows)} row(s) without a known label could not be placed "
                                   f"({', '.join(r.where for r in rows)}); kept aside")
            continue
        for key, row in zip(gaps, rows, strict=True):
            tables.t3[key] = row
            tables.warnings.append(f"t3.{key}: row had no readable label ({row.where}); placed by template order")


# ---- template -------------------------------------------------------------------------------


def detect_template(text_norm: str, t3_keys: set[str], year: int | None) -> tuple[str | None, str]:
    """The template from the tables themselves: 表二 headers first, then （六）'s sub-rows."""
    hits = {t: sum(m in text_norm for m in marks) for t, marks in T2_MARKERS.items()}
    if hits["2019"] != hits["2021"]:
        return max(hits, key=lambda t: hits[t]), "表二 headers"
    if t3_keys & {"other.no_correction", "other.no_fee_paid", "other.other"}:
        return "2021", "表三 （六） sub-rows"
    if t3_keys:
        guess = "2021" if (year or 0) >= 2021 else "2019"
        return guess, f"the year reported ({year})"
    return None, "no tables"


# ---- reading cells ------------------------------------------------------------------------


@dataclass
class Reader:
    """Reads rows into Cells; collects warnings. glued: "strict" (state only what the text decides) or
    "assume-filled" (where it does not, take the reading with no blank cell, kind `assumed`)."""

    template: str
    glued: str = "strict"
    narrative: dict[str, int] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blanks: dict[str, list[str]] = field(default_factory=dict)
    assumed: set[tuple[str, str, str]] = field(default_factory=set)
    undecided: dict[str, list[int | float]] = field(default_factory=dict)

    def add(self, table: str, row: str, col: str, reading: Reading | None, raw: str | None,
            printed: tuple[RawRow | None, int, int] = (None, 0, 0)) -> None:
        """printed: (the row read, the cell's index among its values, the row's width), for where it was read."""
        where = printed_at(*printed)
        if reading is None:
            self.cells.append(Cell(table, row, col, None, raw, MISSING if raw is None else UNDECIDED, **where))
            return
        if reading.value is None:
            self.cells.append(Cell(table, row, col, None, raw, reading.kind, **where))
            return
        kind = ASSUMED if (table, row, col) in self.assumed else reading.kind
        self.cells.append(Cell(table, row, col, reading.value, raw, kind, **where))
        name = f"{row}.{col}" if row else col
        if kind in (BLANK, DASH, NONE_TEXT):
            self.blanks.setdefault(table, []).append(name)
        if reading.note:
            self.warnings.append(f"{table}.{name}: {reading.note} ({raw!r})")


@functools.lru_cache(maxsize=4096)
def _pages_named(where: str) -> frozenset[str]:
    return frozenset(_PAGE.findall(where))


def printed_at(row: RawRow | None, index: int, width: int) -> dict[str, int | str | None]:
    """Where a cell was read: its page (one page named in the row's place), its row's printed labels,
    and its column header where the header row has one cell per printed cell of the row."""
    if row is None:
        return {}
    pages = _pages_named(row.where)
    header = None
    if row.header and not row.glued and len(row.values) == width and len(row.header) == len(row.cells):
        header = row.header[len(row.cells) - width + index].strip() or None
    return {"page": int(next(iter(pages))) if len(pages) == 1 else None,
            "label": " / ".join(row.labels) or None, "header": header}


def t2_shape(spec: T2Row, template: str) -> Shape:
    kinds = tuple(MONEY if c == spec.money_col else SIGNED if (template, c) in T2_SIGNED else COUNT
                  for c in spec.columns)
    return Shape(kinds)


def read_t2(reader: Reader, tables: Tables) -> None:
    missing = []
    for spec in T2_ROWS[reader.template]:
        row = tables.t2.get(spec.key)
        prose = t2_prose(reader, spec)
        texts = _row_texts(reader, "t2", spec.key, row, t2_shape(spec, reader.template), spec.columns, prose)
        if row is None:
            missing.append(spec.key)
        width = len(spec.columns)
        for i, (col, text) in enumerate(zip(spec.columns, texts or [None] * width, strict=True)):
            reading = None if text is None else _read_t2_cell(reader, spec, col, text)
            reader.add("t2", spec.key, col, reading, text if text is not None else _raw_of(row), (row, i, width))
    if missing:
        reader.warnings.append(f"t2: rows not found, left null: {', '.join(missing)}")


# prose key -> (表二 row, column) per template
T2_PROSE = {"normative_docs_new": ("normative_docs", {"2019": "made", "2021": "issued"})}


def t2_prose(reader: Reader, spec: T2Row) -> list[tuple]:
    tests = []
    for key, (row, cols) in T2_PROSE.items():
        col = cols.get(reader.template)
        if row == spec.key and key in reader.narrative and col in spec.columns:
            number, i = reader.narrative[key], spec.columns.index(col)
            tests.append((lambda v, i=i, n=number: v[i] == n, f"t2.{row}.{col} = {number} (prose)"))
    return tests


def _raw_of(row: RawRow | None) -> str | None:
    return None if row is None else " | ".join(row.values)


def _read_t2_cell(reader: Reader, spec: T2Row, col: str, text: str) -> Reading | None:
    try:
        if col == spec.money_col:
            return read_money(text, spec.money_unit)
        return read_count(text, signed=(reader.template, col) in T2_SIGNED)
    except UnreadableCell as exc:
        reader.warnings.append(f"t2.{spec.key}.{col}: {exc}; left null")
        return Reading(None, UNREADABLE)


def row_options(row: RawRow, shape: Shape, columns: tuple[str, ...] = ()) -> Options:
    """The readings of a row: its cells as placed (one, or several when fillers sit at both ends),
    else the readings of its run of glued cells (blank cells allowed)."""
    if not row.glued:
        placed = cell_options(row, shape.width, columns)
        if placed:
            return Options(list(placed), shape)
    return glued_options(" ".join(v for v in row.values if v), shape)


def _row_texts(reader: Reader, table: str, key: str, row: RawRow | None, shape: Shape,
               columns: tuple[str, ...] = (), prose: list[tuple] = ()) -> list[str | None] | None:
    """The printed text of each cell of a row (None for a cell the text does not decide), or None
    when the row is missing."""
    if row is None:
        return None
    if not row.glued:
        fitted = place_cells(row, shape.width, columns)
        if fitted is not None:
            return fitted
    options = row_options(row, shape, columns)
    filled = filled_options(options) if reader.glued == "assume-filled" else None
    prose_cells(options, list(prose))
    if filled is not None:
        prose_cells(filled, list(prose))
    return settle_row(reader, table, key, row, options, filled)


def filled_options(options: Options) -> Options:
    """The readings with no blank cell whose totals add up (what glued="assume-filled" reads)."""
    filled = filled_readings(options)
    return Options(filled or list(options.cands if not options.one else [options.one]), options.shape)


def settle_row(reader: Reader, table: str, key: str, row: RawRow, options: Options,
               filled: Options | None = None) -> list[str | None]:
    """Cells every surviving reading agrees on; the others null, named, their values kept aside
    (or, under glued="assume-filled", read with no blank cell and marked `assumed`)."""
    texts = decide(options)
    names = cell_names(table, key, reader.template).split(", ")
    open_cols = [i for i, t in enumerate(texts) if t is None]
    if not open_cols:
        return texts
    if reader.glued == "assume-filled" and filled is not None and filled.cands:
        guess = decide(filled)
        for i in open_cols:
            if guess[i] is not None:
                texts[i] = guess[i]
                reader.assumed.add((table, key if table != "t4" else "", _col_of(names[i])))
        assumed = [names[i] for i in open_cols if texts[i] is not None]
        if assumed:
            reader.warnings.append(f"{', '.join(assumed)}: glued digits read as if no cell were blank "
                                   f"(glued=assume-filled), a guess; kind assumed ({row.where})")
        open_cols = [i for i in open_cols if texts[i] is None]
        if not open_cols:
            return texts
    _undecided(reader, row, options, [names[i] for i in open_cols], open_cols)
    return texts


def _col_of(name: str) -> str:
    """`t3.granted.total` -> `total`; `t4.review.upheld` -> `review.upheld`; `t2.fees.amount` -> `amount`."""
    parts = name.split(".")
    return ".".join(parts[1:]) if parts[0] == "t4" else parts[-1]


def _undecided(reader: Reader, row: RawRow, options: Options, names: list[str], cols: list[int]) -> None:
    printed = " ".join(row.values) if row.glued else " | ".join(row.values)
    if options.why:
        reason = f"{options.why}; not cut"
    else:
        n = len(options.cands) + (options.guard is not None)
        reason = f"{n} readings (blank cells allowed) remain after the evidence"
        values = open_values(options)
        for name, col in zip(names, cols, strict=True):
            reader.undecided[name] = values.get(col, [])
    reader.warnings.append(f"{', '.join(names)}: cells run together as {printed!r}, {reason}; "
                           f"left null, kind undecided ({row.where})")


def cell_names(table: str, key: str, template: str) -> str:
    """The full names of a row's cells, for a warning: `t2.fees.prev_items, t2.fees.change`."""
    if table == "t4":
        cols = list(T4_COLUMNS)
    elif table == "t3":
        cols = [f"{key}.{c}" for c in T3_COLUMNS]
    else:
        cols = [f"{key}.{c}" for c in next(r.columns for r in T2_ROWS[template] if r.key == key)]
    return ", ".join(f"{table}.{c}" for c in cols)


def read_t3(reader: Reader, tables: Tables, order: list[str]) -> None:
    options = {key: row_options(tables.t3[key], T3_SHAPE) for key in order if key in tables.t3}
    filled: dict[str, Options] = {}
    if reader.glued == "assume-filled":
        filled = {key: filled_options(o) for key, o in options.items()}
        prose_t3(filled, reader.narrative)
        settle_columns(filled)
    prose_t3(options, reader.narrative)
    settle_by_layout(reader, tables, options)
    widths = {k: len(o.cands) for k, o in options.items()}
    if any(n > 1 for n in widths.values()) and settle_columns(options):
        for key, o in options.items():
            if widths[key] > 1 and len(o.cands) == 1 and o.guard is None:
                row = tables.t3[key]
                printed = " ".join(row.values) if row.glued else " | ".join(row.values)
                reader.warnings.append(f"t3.{key}: {printed!r} has {widths[key]} readings; chose "
                                       f"{'|'.join(o.cands[0])}, the one the column sums allow")
    chosen = {key: settle_row(reader, "t3", key, tables.t3[key], o, filled.get(key)) for key, o in options.items()}
    _emit_t3(reader, tables, order, chosen)


def settle_by_layout(reader: Reader, tables: Tables, options: dict[str, Options]) -> None:
    """Fillers at both ends of a row: where every settled row of the same width holds its values in
    its last 7 cells (a grid whose spans were expanded), place this one the same way."""
    chosen = {k: list(o.cands[0]) for k, o in options.items() if len(o.cands) == 1}
    for key, o in options.items():
        row = tables.t3[key]
        if len(o.cands) < 2 or row.glued:
            continue
        peers = [k for k in chosen if len(tables.t3[k].cells) == len(row.cells) > 7]
        last = tuple(row.cells[-7:])
        if last not in o.cands or not peers:
            continue
        if all(tables.t3[k].cells[-7:] == chosen[k] for k in peers):
            o.cands = [last]
            reader.warnings.append(f"t3.{key}: empty cells at both ends of the row; placed like the "
                                   f"{len(peers)} other rows of its width (values in the last 7 cells)")


def _emit_t3(reader: Reader, tables: Tables, order: list[str], chosen: dict[str, list[str | None]]) -> None:
    missing = [k for k in order if k not in tables.t3]
    for key in order:
        texts = chosen.get(key)
        row = tables.t3.get(key)
        for i, col in enumerate(T3_COLUMNS):
            text = texts[i] if texts else None
            reading = _read_t3_cell(reader, key, col, text) if text is not None else None
            raw = text if text is not None else _raw_of(row)
            reader.add("t3", key, col, reading, raw, (row, i, len(T3_COLUMNS)))
    if missing:
        reader.warnings.append(f"t3: rows not found, left null: {', '.join(missing)}")


def _read_t3_cell(reader: Reader, key: str, col: str, text: str) -> Reading | None:
    try:
        return read_count(text)
    except UnreadableCell as exc:
        reader.warnings.append(f"t3.{key}.{col}: {exc}; left null")
        return Reading(None, UNREADABLE)


def t3_columns_add_up(values: dict[str, list[float]]) -> bool:
    """The 表三 column relations of checks.py (balance, results) hold for these rows."""
    t3 = {row: dict(zip(T3_COLUMNS, cells, strict=True)) for row, cells in values.items()}
    return check_balance(t3)["ok"] is True and check_results(t3)["ok"] is True


def t4_prose(reader: Reader) -> list[tuple]:
    tests = []
    cols = list(T4_COLUMNS)
    if "review" in reader.narrative:
        n, i = reader.narrative["review"], cols.index("review.total")
        tests.append((lambda v, i=i, n=n: v[i] == n, f"t4.review.total = {n} (prose)"))
    if "suit" in reader.narrative:
        n, a, b = reader.narrative["suit"], cols.index("suit_direct.total"), cols.index("suit_after_review.total")
        tests.append((lambda v, a=a, b=b, n=n: v[a] + v[b] == n, f"t4 suits = {n} (prose)"))
    return tests


def read_t4(reader: Reader, tables: Tables) -> None:
    texts = _row_texts(reader, "t4", "", tables.t4, T4_SHAPE, prose=t4_prose(reader))
    if tables.t4 is None:
        reader.warnings.append("t4: the 表四 values were not found, left null")
    for i, col in enumerate(T4_COLUMNS):
        text = texts[i] if texts else None
        reading = None
        if text is not None:
            try:
                reading = read_count(text)
            except UnreadableCell as exc:
                reader.warnings.append(f"t4.{col}: {exc}; left null")
                reading = Reading(None, UNREADABLE)
        reader.add("t4", "", col, reading, text if text is not None else _raw_of(tables.t4),
                   (tables.t4, i, len(T4_COLUMNS)))


# ---- blank totals --------------------------------------------------------------------------


def derive_blank_totals(reader: Reader) -> None:
    """A blank total was not printed: derive it from its parts and say so."""
    by_key = {(c.table, c.row, c.col): c for c in reader.cells}
    t3_rows = {c.row for c in reader.cells if c.table == "t3"}
    for c in reader.cells:
        if c.kind != BLANK:
            continue
        if c.table == "t3" and c.col == "total":
            parts = [by_key[("t3", c.row, p)] for p in T3_COLUMNS[:-1]]
        elif c.table == "t3" and c.row == "results_total":
            parts = [by_key[("t3", r, c.col)] for r in result_parts(t3_rows)]
        elif c.table == "t4" and c.col.endswith(".total"):
            group = c.col.split(".")[0]
            parts = [by_key[("t4", "", f"{group}.{o}")] for o in ("upheld", "corrected", "other", "pending")]
        else:
            continue
        _derive(reader, c, parts)


def _derive(reader: Reader, cell: Cell, parts: list[Cell]) -> None:
    if any(p.value is None for p in parts):  # a blank total is not 0: it is the sum of parts we lack
        cell.value, cell.kind = None, UNDECIDED
        reader.blanks[cell.table].remove(cell.key)
        reader.warnings.append(f"{cell.table}.{cell.key}: blank total and some of its parts are null; left null")
        return
    cell.value = sum(p.value for p in parts)  # type: ignore[misc]
    cell.kind = DERIVED
    reader.blanks[cell.table].remove(cell.key)
    reader.warnings.append(f"{cell.table}.{cell.key}: blank total, derived as {cell.value} from its parts")


def blank_warnings(reader: Reader) -> None:
    for table, names in reader.blanks.items():
        if names:
            shown = ", ".join(f"{table}.{n}" for n in names)
            reader.warnings.append(f"{table}: {len(names)} blank or dash cell(s) read as 0: {shown}")
