"""The fast glued solver and column evidence against plain definitions, on random runs and rows.

The oracles below are the simple forms (list every cut depth first; try every combination; sum
sets element by element): the fast code must give the same readings in the same order, the same
caps, and the same cells kept.
"""

from __future__ import annotations

import functools
import itertools
import random

import pytest

from parsers import evidence
from parsers.glued import MAX_RUN, TooManyReadings, _token_ends, _value, cuts, prepare, unique_cuts, values_of
from parsers.solver import COUNT, MONEY, SIGNED, Shape

SHAPES = [Shape((COUNT,) * 3), Shape((COUNT,) * 7, ((0, 6),)), Shape((COUNT,) * 10, ((0, 4), (5, 9))),
          Shape((COUNT, SIGNED, COUNT)), Shape((COUNT, MONEY)), Shape((COUNT,) * 5, ((0, 4),))]
ALPHABET = "0123456789" * 3 + "—-/无件 "


def oracle_cuts(run: str, shape: Shape, blanks: bool, totals: bool, limit: int) -> list[tuple[str, ...]]:
    """Every cut, depth first, a total checked when printed; TooManyReadings past `limit`."""
    text, bounds = prepare(run)
    if len(text) > MAX_RUN:
        raise TooManyReadings("long")
    ends = _token_ends(text, bounds, shape.kinds)
    if loose_count(text, ends, shape.width, blanks) > 100 * limit:
        raise TooManyReadings("far too many")
    group_of = {last: first for first, last in shape.totals} if totals else {}
    found: list[tuple[str, ...]] = []

    def walk(pos: int, cells: list[str]) -> None:
        col = len(cells)
        if col == shape.width:
            if pos == len(text):
                found.append(tuple(cells))
                if len(found) > limit:
                    raise TooManyReadings("many")
            return
        first = group_of.get(col)
        for end in ([pos] if blanks else []) + ends[shape.kinds[col]][pos]:
            piece = text[pos:end]
            if first is not None and piece and _value(piece) != sum(_value(c) for c in cells[first:]):
                continue
            walk(end, [*cells, piece])

    walk(0, [])
    return found


def loose_count(text: str, ends: dict, width: int, blanks: bool) -> int:
    """Cuts with no total checked, the loosest kind for every cell (the cap checked first)."""
    loose = ends.get(MONEY) or ends.get(SIGNED) or ends[COUNT]

    @functools.cache
    def count(pos: int, col: int) -> int:
        if col == width:
            return int(pos == len(text))
        return (count(pos, col + 1) if blanks else 0) + sum(count(end, col + 1) for end in loose[pos])

    return count(0, 0)


def oracle_unique(cands: list[tuple[str, ...]], shape: Shape) -> list[tuple[str, ...]]:
    best: dict = {}
    for cells in cands:
        key = values_of(cells, shape)
        if key not in best or cells.count("") < best[key].count(""):
            best[key] = cells
    return list(best.values())


def outcome(fn):
    try:
        return fn()
    except TooManyReadings:
        return "too many"


@pytest.mark.parametrize("seed", range(2))
def test_cuts_are_the_plain_depth_first_cuts_in_order(seed):
    rng = random.Random(seed)
    for _ in range(150):
        shape = rng.choice(SHAPES)
        run = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3 * shape.width))).strip() or "0"
        blanks, totals, limit = rng.random() < 0.8, rng.random() < 0.8, rng.choice((1, 5, 200))
        want = outcome(lambda: oracle_cuts(run, shape, blanks, totals, limit))  # noqa: B023
        got = outcome(lambda: cuts(run, shape, blanks, totals, limit))  # noqa: B023
        assert got == want, (run, shape, blanks, totals, limit)
        if want != "too many":
            assert unique_cuts(run, shape, blanks, totals, limit) == oracle_unique(want, shape)


def plain_results(domains, targets):
    """A row's column value is kept when some choice of the other rows sums, with it, to a target."""
    feasible = {i: set() for i in range(len(domains))}
    hit = set()
    for combo in itertools.product(*domains):
        if sum(combo) in targets:
            hit.add(sum(combo))
            for i, x in enumerate(combo):
                feasible[i].add(x)
    return feasible, hit


@pytest.mark.parametrize("seed", range(3))
def test_results_column_bits_and_sets_agree_with_every_combination(seed):
    rng = random.Random(seed)
    for _ in range(60):
        n = rng.randint(1, 5)
        domains = [{rng.choice((0, 1, 2, 3, 5, 8, 13, 40, 120)) for _ in range(rng.randint(1, 3))} for _ in range(n)]
        targets = {rng.randint(0, 150) for _ in range(rng.randint(1, 3))} | {sum(min(d) for d in domains)}
        parts = [f"r{i}" for i in range(n)]
        want, hit = plain_results(domains, targets)
        for big in (False, True):  # bit sets, and the set path (totals over MAX_BITS)
            scale = evidence.MAX_BITS * 4 if big else 1
            got = evidence._results_sums([{x * scale for x in d} for d in domains], {t * scale for t in targets}, parts)
            assert got is not None
            assert got["results_total"] == {t * scale for t in hit}
            for i, key in enumerate(parts):
                assert got[key] == {x * scale for x in want[i]}


class _Opts:
    """Just what _exact reads of an Options: its readings and their values."""

    def __init__(self, vectors):
        self.cands = [tuple(str(v) for v in vec) for vec in vectors]
        self._values = dict(zip(self.cands, vectors, strict=True))

    def values(self, cells):
        return self._values[cells]


@pytest.mark.parametrize("seed", range(3))
def test_exact_by_sums_keeps_what_every_combination_keeps(seed):
    rng = random.Random(seed)
    rows = ("new_received", "carried_over", "granted", "partially_granted", "results_total", "carried_forward")
    for _ in range(40):
        truth = {r: [rng.randint(0, 3) for _ in range(7)] for r in ("new_received", "granted", "partially_granted")}
        truth["carried_over"] = [0] * 7
        truth["results_total"] = [a + b for a, b in zip(truth["granted"], truth["partially_granted"], strict=True)]
        truth["carried_forward"] = [n - r for n, r in zip(truth["new_received"], truth["results_total"], strict=True)]

        def vectors(key):
            out = [tuple(truth[key])]  # noqa: B023
            for _ in range(rng.randint(0, 3)):  # noqa: B023
                out.append(tuple(v + rng.choice((0, 0, 1, 10)) for v in truth[key]))  # noqa: B023
            return list(dict.fromkeys(out))

        options = {k: _Opts(vectors(k)) for k in rows}
        keys = [k for k, o in options.items() if len(o.cands) > 1]
        if not keys:
            continue
        assert evidence._used_by_sums(options, keys) == evidence._used_by_combinations(options, keys)
