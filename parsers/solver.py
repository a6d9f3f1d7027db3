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


def readings(chunks: list[str], shape: Shape, use_totals: bool) -> list[tuple[str, ...]]:
    """Every way to cut the chunks into shape.width cells (at most MAX_READINGS + 1 of them)."""
    found: list[tuple[str, ...]] = []
    _extend(chunks, 0, 0, [], shape, use_totals, found)
    return found


def _extend(chunks, ci, pos, parts, shape, use_totals, found) -> None:
    if len(found) > MAX_READINGS:
        return
    col = len(parts)
    if ci == len(chunks):
        if col == shape.width:
            found.append(tuple(parts))
        return
    if col == shape.width:
        return
    chunk = chunks[ci]
    for m_end in _part_ends(chunk, pos, shape.kinds[col]):
        parts.append(chunk[pos:m_end])
        if not use_totals or _group_ok(parts, shape):
            if m_end == len(chunk):
                _extend(chunks, ci + 1, 0, parts, shape, use_totals, found)
            else:
                _extend(chunks, ci, m_end, parts, shape, use_totals, found)
        parts.pop()


def _part_ends(chunk: str, pos: int, kind: str) -> list[int]:
    pattern = _PART[kind]
    return [end for end in range(pos + 1, len(chunk) + 1) if pattern.fullmatch(chunk, pos, end)]


def _group_ok(parts: list[str], shape: Shape) -> bool:
    col = len(parts) - 1
    for first, last in shape.totals:
        if col == last:
            return part_value(parts[last]) == sum(part_value(p) for p in parts[first:last])
    return True


def part_value(part: str) -> float:
    digits = re.sub(r"[^\d.+-]", "", part)
    if not digits or digits in "+-":
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
    plain = readings(chunks, shape, use_totals=False)
    if len(plain) <= 1 or not shape.totals:
        return plain
    checked = readings(chunks, shape, use_totals=True)
    if checked:
        return checked
    return readings(["".join(chunks)], shape, use_totals=True)
