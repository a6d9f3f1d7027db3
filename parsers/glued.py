"""Readings of glued cells that allow blank cells, and what they decide.

Text extractors drop the separators between cells, and a blank cell leaves no trace at all:
`215` over three cells may be 2|1|5, but also 2||15, 21||5, |2|15 … This module lists every
reading (blank cells allowed), lets the evidence of the document remove readings, and states a
cell only where every surviving reading gives it the same value.

Evidence and its limit (one anomaly at a time): arithmetic (a row's total, 表四's group totals,
表三's column sums) and numbers quoted in the prose remove readings. A printed total can be wrong,
though, and a wrong total cannot be told from a blank cell: when the only reading with every cell
filled is removed by arithmetic, it stays possible (`guard`), so it must agree too. When no reading
adds up at all, the document misprints a total: the one filled reading is then taken as printed.

Bounded: runs over MAX_RUN characters or with over MAX_CUTS readings are not cut (undecided, named).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from parsers.solver import COUNT, MONEY, SIGNED, Shape, part_value

MAX_RUN = 96  # characters of one run that are cut at all (a 表四 run is ~15-40)
MAX_CUTS = 3000  # readings of one run, beyond which its cells are left undecided
MAX_DIGITS = 12  # digits in one count cell (no count in these tables comes near)

COUNT_UNITS = "笔个项件次家宗条"
_UNIT = f"(?:[{COUNT_UNITS}])?"
_MARK = r"|—{1,2}|-{1,2}|/|_|无|–|―"  # a cell printed as a dash or 无 (read as 0)
_PART = {
    COUNT: re.compile(rf"(?:0|[1-9]\d{{0,{MAX_DIGITS - 1}}}){_UNIT}{_MARK}"),
    SIGNED: re.compile(rf"(?:0|[+-]?[1-9]\d{{0,{MAX_DIGITS - 1}}}){_UNIT}{_MARK}"),
    MONEY: re.compile(r"(?:0|[1-9]\d{0,14})(?:\.\d{1,8})?(?:万元|元|万)?" + _MARK),
}
# A count unit or 元 closes its cell for sure: `1个246900元` is 1个 | 246900元.
_CLOSES = re.compile(rf"(?<=[{COUNT_UNITS}元])(?=\S)")


class TooManyReadings(Exception):
    """A run too long, or with too many readings, to be cut."""


def prepare(run: str) -> tuple[str, frozenset[int]]:
    """(the run without white space, positions where a cell surely ends: white space, units, 元)."""
    run = _CLOSES.sub(" ", run.strip())
    chunks = run.split()
    text, bounds, pos = "".join(chunks), set(), 0
    for chunk in chunks:
        pos += len(chunk)
        bounds.add(pos)
    return text, frozenset(bounds)


def cuts(run: str, shape: Shape, blanks: bool = True, totals: bool = True,
         limit: int = MAX_CUTS) -> list[tuple[str, ...]]:
    """Every way to cut `run` into shape.width cells ("" = a blank cell). With `totals`, a group's
    total cell is blank (derived later) or prints the sum of the group's parts. Raises
    TooManyReadings beyond `limit` readings or MAX_RUN characters."""
    return [cells for cells, _ in _readings(run, shape, blanks, totals, limit)]


def unique_cuts(run: str, shape: Shape, blanks: bool = True, totals: bool = True,
                limit: int = MAX_CUTS, memo: dict | None = None) -> list[tuple[str, ...]]:
    """unique(cuts(...)), with each reading's values computed once, as it is cut (and kept in
    `memo`, cells -> values, when given)."""
    best: dict[tuple[float, ...], tuple[str, ...]] = {}
    derive = not totals and bool(shape.totals)  # the walk sums groups only when it checks totals
    for cells, values in _readings(run, shape, blanks, totals, limit):
        if derive:
            values = values_of(cells, shape)
        if values not in best or _blanks(cells) < _blanks(best[values]):
            best[values] = cells
    if memo is not None:
        memo.update((cells, values) for values, cells in best.items())
    return list(best.values())


def _readings(run: str, shape: Shape, blanks: bool, totals: bool,
              limit: int) -> list[tuple[tuple[str, ...], tuple[float, ...]]]:
    """(cells, values_of(cells)) of every reading, in the order a depth-first walk over the cell
    ends meets them. Counted first (by position, cell and the group's running sum, memoized), so
    nothing is listed when there are over `limit`."""
    text, bounds = prepare(run)
    if len(text) > MAX_RUN:
        raise TooManyReadings(f"a run of {len(text)} characters")
    ends = _token_ends(text, bounds, shape.kinds)
    if _count(text, ends, shape.width, blanks) > 100 * limit:  # far beyond the limit whatever totals prune
        raise TooManyReadings(f"over {limit} readings")
    plan = _plan(shape, totals)
    pieces = {kind: _pieces(text, bounds, kind, blanks) for kind in set(shape.kinds)}
    by_col = [pieces[k] for k in shape.kinds]
    count, memo = _counter(len(text), shape.width, by_col, plan)
    if count(0, 0, 0) > limit:
        raise TooManyReadings(f"over {limit} readings")
    return _walk(len(text), shape.width, by_col, plan, memo)


def _plan(shape: Shape, totals: bool) -> list[tuple[bool, bool]]:
    """Per cell: (is a group's total, the next cell continues the same group's running sum)."""
    plan = [(False, False)] * shape.width
    if totals:
        for first, last in shape.totals:
            for col in range(first, last):
                plan[col] = (False, True)
            plan[last] = (True, False)
    return plan


def _pieces(text: str, bounds: frozenset[int], kind: str, blanks: bool) -> list[list[tuple[int, str, float]]]:
    """For each start position: (end, text, value) of each cell that may start there, a blank first."""
    table = _token_ends(text, bounds, (kind,))[kind]
    return [([(pos, "", 0)] if blanks else []) + [(end, text[pos:end], _value(text[pos:end])) for end in table[pos]]
            for pos in range(len(text) + 1)]


def _counter(size: int, width: int, pieces: list, plan: list[tuple[bool, bool]]):
    """count(pos, col, due): readings of text[pos:] into cells col.. when the group running at col
    has summed to `due` so far (a printed total must equal it). After count(0, 0, 0), `memo` holds
    every state a walk from the start can reach (the last cell's states excepted)."""
    memo: dict[tuple[int, int, float], int] = {}

    def count(pos: int, col: int, due: float) -> int:
        if col == width:
            return int(pos == size)
        key = (pos, col, due)
        found = memo.get(key)
        if found is None:
            is_total, runs_on = plan[col]
            found = 0
            for end, piece, value in pieces[col][pos]:
                if is_total and piece and value != due:
                    continue
                found += count(end, col + 1, due + value if runs_on else 0)
            memo[key] = found
        return found

    return count, memo


def _walk(size: int, width: int, pieces: list, plan: list[tuple[bool, bool]], memo: dict) -> list:
    """Every reading, depth first, entering only the states `memo` counts readings from."""
    found: list[tuple[tuple[str, ...], tuple[float, ...]]] = []
    cells: list[str] = []
    values: list[float] = []
    last = width - 1

    def walk(pos: int, col: int, due: float) -> None:
        is_total, runs_on = plan[col]
        for end, piece, value in pieces[col][pos]:
            if is_total and piece and value != due:
                continue
            shown = due if is_total and not piece else value  # a blank total is its parts' sum
            if col == last:
                if end == size:
                    found.append(((*cells, piece), (*values, shown)))
                continue
            nxt = due + value if runs_on else 0
            if not memo[(end, col + 1, nxt)]:
                continue
            cells.append(piece)
            values.append(shown)
            walk(end, col + 1, nxt)
            cells.pop()
            values.pop()

    walk(0, 0, 0)
    return found


@lru_cache(maxsize=4096)
def _value(piece: str) -> float:
    return part_value(piece) if piece else 0


@lru_cache(maxsize=512)
def _token_ends(text: str, bounds: frozenset[int], kinds: tuple[str, ...]) -> dict[str, list[list[int]]]:
    """For each kind and start position: where a cell starting there may end (never across a bound)."""
    ends: dict[str, list[list[int]]] = {}
    for kind in set(kinds):
        pattern, table = _PART[kind], []
        for i in range(len(text) + 1):
            stop = min((b for b in bounds if b > i), default=len(text))
            table.append([j for j in range(i + 1, stop + 1) if pattern.fullmatch(text, i, j)])
        ends[kind] = table
    return ends


def _count(text: str, ends: dict[str, list[list[int]]], width: int, blanks: bool) -> int:
    """How many cuts there are with no total checked (an upper bound), cell by cell from the end."""
    loose = ends.get(MONEY) or ends.get(SIGNED) or ends[COUNT]
    size = len(text)
    after = [0] * size + [1]  # ways to fill the cells after this one from each position
    for _ in range(width):
        after = [(after[pos] if blanks else 0) + sum(after[end] for end in loose[pos]) for pos in range(size + 1)]
    return after[0]


# ---- a row's options --------------------------------------------------------------------------


@dataclass
class Options:
    """What a row may hold: its surviving readings (cell texts, "" = blank), and the filled reading
    that arithmetic removed but a misprinted total would bring back."""

    cands: list[tuple[str, ...]]
    shape: Shape
    guard: tuple[str, ...] | None = None
    one: tuple[str, ...] | None = None  # the only reading with every cell filled, if there is one
    filled: list[tuple[str, ...]] = field(default_factory=list)  # readings with no blank cell (assume-filled)
    why: str = ""  # why nothing could be cut (too long, too many readings)
    run: str | None = None  # the glued run these readings cut
    memo: dict[tuple[str, ...], tuple[float, ...]] = field(default_factory=dict, repr=False, compare=False)

    def values(self, cells: tuple[str, ...]) -> tuple[float, ...]:
        found = self.memo.get(cells)
        if found is None:
            found = self.memo[cells] = values_of(cells, self.shape)
        return found


def values_of(cells: tuple[str, ...], shape: Shape) -> tuple[float, ...]:
    """The value of each cell of a reading; a blank total is the sum of its group's parts."""
    values = [part_value(c) if c else 0 for c in cells]
    for first, last in shape.totals:
        if not cells[last].strip():
            values[last] = sum(values[first:last])
    return tuple(values)


def unique(cands: Iterable[tuple[str, ...]], shape: Shape) -> list[tuple[str, ...]]:
    """One reading per value vector (the one with the fewest blank cells)."""
    best: dict[tuple[float, ...], tuple[str, ...]] = {}
    for cells in cands:
        key = values_of(cells, shape)
        if key not in best or _blanks(cells) < _blanks(best[key]):
            best[key] = cells
    return list(best.values())


def _blanks(cells: tuple[str, ...]) -> int:
    return sum(1 for c in cells if not c)


def glued_options(run: str, shape: Shape) -> Options:
    """The readings of a glued run that its own arithmetic leaves (see the module doc)."""
    filled = _first_two(run, shape)
    if not filled and len(run.split()) > 1:  # a stray space inside a number
        run = "".join(run.split())
        filled = _first_two(run, shape)
    one = filled[0] if len(filled) == 1 else None
    filled_ok = [one] if one else []  # all of them only when asked for (filled_readings)
    memo: dict[tuple[str, ...], tuple[float, ...]] = {}
    try:
        consistent = unique_cuts(run, shape, blanks=True, totals=bool(shape.totals), memo=memo)
    except TooManyReadings as exc:
        return Options([], shape, one=one, filled=filled_ok, why=str(exc), run=run)
    if not consistent:  # no reading adds up: a misprinted total, and then no blank cell
        return Options([one] if one else [], shape, one=one, filled=filled_ok,
                       why="" if one else "no reading fits", run=run)
    values = {memo[c] for c in consistent}
    guard = one if one is not None and values_of(one, shape) not in values else None
    return Options(consistent, shape, guard, one, filled=filled_ok, run=run, memo=memo)


def filled_readings(options: Options) -> list[tuple[str, ...]]:
    """Readings with every cell filled whose totals add up (what glued="assume-filled" reads)."""
    if options.run is None:
        return list(options.filled)
    return _filled_consistent(options.run, options.shape) or list(options.filled)


def _first_two(run: str, shape: Shape) -> list[tuple[str, ...]]:
    """Up to two readings with every cell filled (two: the filled reading is not unique)."""
    found: list[tuple[str, ...]] = []
    try:
        found = cuts(run, shape, blanks=False, totals=False, limit=1)
    except TooManyReadings:
        return [(), ()]
    return found


def _filled_consistent(run: str, shape: Shape) -> list[tuple[str, ...]]:
    """Readings with every cell filled whose totals add up (what assume-filled reads)."""
    try:
        return unique_cuts(run, shape, blanks=False, totals=bool(shape.totals))
    except TooManyReadings:
        return []


def keep(options: Options, test) -> bool:
    """Keep the readings `test` accepts, unless it accepts none (evidence that fits no reading
    is set aside: the prose or a total may be misprinted). True when something was removed."""
    kept = [c for c in options.cands if test(options.values(c))]
    if not kept or len(kept) == len(options.cands):
        return False
    one = options.one
    if options.guard is None and one is not None and options.values(one) not in {options.values(c) for c in kept}:
        options.guard = one
    options.cands = kept
    return True


def decide(options: Options) -> list[str | None]:
    """Each cell's text where every surviving reading (and the guard) gives the same value; None
    where they differ."""
    pool = list(options.cands) + ([options.guard] if options.guard is not None else [])
    if not pool:
        return [None] * options.shape.width
    if len(pool) == 1:  # one reading: every cell is its text
        return list(pool[0])
    vectors = [options.values(c) for c in pool]
    out: list[str | None] = []
    for col in range(options.shape.width):
        if len({v[col] for v in vectors}) != 1:
            out.append(None)
            continue
        texts = [c[col] for c in pool]
        out.append(next((t for t in texts if t), texts[0]))
    return out


def open_values(options: Options) -> dict[int, list[float]]:
    """column -> the values the surviving readings give it, for the columns left undecided."""
    pool = list(options.cands) + ([options.guard] if options.guard is not None else [])
    vectors = [options.values(c) for c in pool]
    out = {}
    for col in range(options.shape.width):
        seen = sorted({v[col] for v in vectors})
        if len(seen) > 1:
            out[col] = [int(x) if float(x).is_integer() else x for x in seen]
    return out
