"""Readings of a run of glued cells (`行政许可0494246` = 0 | 494 | 246).

Text extractors often drop the separators between cells. A run of digits has several readings;
only the template's arithmetic (a row's total, a group's total) can choose between them. This
module lists the readings; it never picks one by counting digits alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COUNT = "count"
SIGNED = "signed"
MONEY = "money"

_PART = {
    COUNT: re.compile(r"0|[1-9]\d*|—|/"),
    SIGNED: re.compile(r"0|[+-]?[1-9]\d*|—|/"),
    MONEY: re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?(?:万元|元|万)?|—|/"),
}
MAX_READINGS = 400
MAX_CELL_DIGITS = 15  # no printed count or amount is longer; a longer run is not a row of cells
MAX_STEPS = 20_000  # cuts tried for one run: past this the run is left undecided, never guessed


class _OverBudget(Exception):
    """The search for readings went past MAX_STEPS."""


@dataclass(frozen=True)
class Shape:
    """What a row must split into: the kind of each cell, and the groups whose last cell is their total."""

    kinds: tuple[str, ...]
    totals: tuple[tuple[int, int], ...] = ()  # (first, last) cell index of each group; last = sum of the rest

    @property
    def width(self) -> int:
        return len(self.kinds)


def chunks_of(run: str) -> list[str]:
    """White space separates cells for sure; inside a chunk the boundaries are lost."""
    return run.split()


def readings(chunks: list[str], shape: Shape, use_totals: bool, limit: int = MAX_READINGS) -> list[tuple[str, ...]]:
    """Ways to cut the chunks into shape.width cells (stops after `limit` + 1 of them)."""
    found: list[tuple[str, ...]] = []
    groups = {}
    if use_totals:
        groups = {col: (first, last) for first, last in shape.totals for col in range(first, last + 1)}
    steps = [MAX_STEPS]
    try:
        _extend(chunks, 0, 0, [], shape, groups, found, limit, steps)
    except _OverBudget:
        return []  # too many cuts to tell: no reading is taken (the caller leaves the cells null)
    return found


def _extend(chunks, ci, pos, parts, shape, groups, found, limit, steps) -> None:
    steps[0] -= 1
    if steps[0] < 0:
        raise _OverBudget
    if len(found) > limit:
        return
    col = len(parts)
    if ci == len(chunks):
        if col == shape.width:
            found.append(tuple(parts))
        return
    if col == shape.width:
        return
    chunk = chunks[ci]
    after = _cells_after(chunks, ci)
    group = groups.get(col)
    for end in _ends(chunk, pos, shape.kinds[col], parts, group):
        left = len(chunk) - end + after
        if left < shape.width - col - 1:
            break
        parts.append(chunk[pos:end])
        if group is None or _total_fits(parts, group, shape.width, left):
            if end == len(chunk):
                _extend(chunks, ci + 1, 0, parts, shape, groups, found, limit, steps)
            else:
                _extend(chunks, ci, end, parts, shape, groups, found, limit, steps)
        parts.pop()


def _total_fits(parts: list[str], group: tuple[int, int], width: int, left: int) -> bool:
    """The group's total still to come prints the sum so far: it needs that many digits, and has at most
    the characters that the cells after it leave."""
    first, last = group
    col = len(parts) - 1
    if col >= last:
        return True
    running = sum(part_value(p) for p in parts[first:])
    room = left - (last - col - 1) - (width - last - 1)
    return len(f"{running:.0f}") <= room and (room >= 18 or running < 10 ** room)


def _cells_after(chunks: list[str], ci: int) -> int:
    """The most cells the chunks after chunk `ci` can hold (one per character)."""
    return sum(len(c) for c in chunks[ci + 1:])


def _ends(chunk: str, pos: int, kind: str, parts: list[str], group: tuple[int, int] | None) -> list[int]:
    """Where the cell starting at `pos` may end; a group's total cell must print the sum of its parts."""
    if group is not None and group[1] == len(parts):
        total = sum(part_value(p) for p in parts[group[0]:])
        text = f"{total:g}" if kind != MONEY else None
        if text is not None:
            return [pos + len(text)] if chunk.startswith(text, pos) else ([pos + 1] if chunk[pos] in "—/" else [])
    if kind == COUNT:
        if chunk[pos] == "0" or not chunk[pos].isdigit():
            return [pos + 1] if chunk[pos] in "0—/" else []
        stop = pos
        while stop < len(chunk) and chunk[stop].isdigit():
            stop += 1
        return list(range(pos + 1, min(stop, pos + MAX_CELL_DIGITS) + 1))
    pattern = _PART[kind]
    return [end for end in range(pos + 1, len(chunk) + 1) if pattern.fullmatch(chunk, pos, end)]


def part_value(part: str) -> float:
    if part.isdigit():
        return int(part)
    digits = re.sub(r"[^\d.+-]", "", part)
    if not digits.strip("+-"):  # a dash cell: -, --, —, /, 无 (no digits)
        return 0.0
    value = float(digits)
    return value * 10000 if "万" in part else value


def solve(run: str, shape: Shape) -> list[tuple[str, ...]]:
    """The readings of a run that the arithmetic allows: one is decided, several are not, none is broken.

    A run with a single reading is taken as printed even if its totals do not add up (the check
    will say so); otherwise only readings whose group totals add up are kept. When white space
    inside a number (a stray space) leaves no reading, the run is read again without it.
    """
    chunks = chunks_of(run)
    if sum(map(len, chunks)) > shape.width * MAX_CELL_DIGITS:
        return []  # longer than any row of real cells (and its sums would overflow a float)
    if len(chunks) == shape.width and all(_PART[k].fullmatch(c) for k, c in zip(shape.kinds, chunks, strict=True)):
        return [tuple(chunks)]  # every cell printed apart: nothing to cut
    if sum(map(len, chunks)) == shape.width and all(_PART[COUNT].fullmatch(ch) for ch in "".join(chunks)):
        return [tuple("".join(chunks))]  # one character per cell: the only reading
    if not shape.totals:
        return readings(chunks, shape, use_totals=False)
    checked = readings(chunks, shape, use_totals=True)
    if checked:
        return checked  # one reading that adds up, or several (the caller asks the columns)
    plain = readings(chunks, shape, use_totals=False, limit=1)
    if len(plain) == 1:
        return plain  # the only reading there is, even though its totals do not add up
    return readings(["".join(chunks)], shape, use_totals=True)
