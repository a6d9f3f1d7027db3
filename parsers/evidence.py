"""Evidence inside one document that removes readings of undecided rows.

- the numbers the prose quotes (parsers.narrative): a row's total, 表二 counts, 表四 totals;
- 表三's column relations (checks.py): every column, 一 + 二 = （七）总计 + 四 and （七）总计 = the sum
  of the result rows. First each column alone (cheap, sound: a reading whose cell no column
  solution can hold goes), then every remaining combination when there are few enough.

Evidence that fits no reading is set aside (the prose or a total may be misprinted), never forced.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable

from parsers.checks import check_balance, check_results, result_parts
from parsers.glued import Options, keep
from parsers.templates import T3_COLUMNS

MAX_COMBINATIONS = 20000
MAX_SUMS = 20000  # partial sums tracked per column before that column is left out
BALANCE = ("new_received", "carried_over", "results_total", "carried_forward")
TOTAL = len(T3_COLUMNS) - 1

# prose key -> (table, row, column index, how the value is read from a reading's values)
T3_PROSE = {"received": "new_received", "carried_over": "carried_over", "carried_forward": "carried_forward",
            "granted": "granted", "partially_granted": "partially_granted"}


def prose_t3(options: dict[str, Options], narrative: dict[str, int]) -> list[str]:
    """Rows whose total the prose states keep the readings with that total."""
    used = []
    for key, row in T3_PROSE.items():
        if key in narrative and row in options and keep(options[row], _equals(TOTAL, narrative[key])):
            used.append(f"t3.{row}.total = {narrative[key]} (prose)")
    return used


def _equals(col: int, number: float) -> Callable[[tuple[float, ...]], bool]:
    return lambda values: values[col] == number


def prose_cells(options: Options, tests: list[tuple[Callable[[tuple[float, ...]], bool], str]]) -> list[str]:
    """Apply (test, what) pieces of prose evidence to one row; the ones that removed readings."""
    return [what for test, what in tests if keep(options, test)]


# ---- 表三 column relations -----------------------------------------------------------------------


def settle_columns(options: dict[str, Options]) -> bool:
    """Remove the readings no column solution holds; False (nothing removed) when the columns fit
    no reading at all (the document's columns do not add up: they decide nothing)."""
    open_rows = [k for k, o in options.items() if len(o.cands) > 1]
    if not open_rows or any(not o.cands for o in options.values()):
        return False
    before = {k: list(o.cands) for k, o in options.items()}
    values = {k: [o.values(c) for c in o.cands] for k, o in options.items()}
    parts = result_parts(options)
    seen: dict = {}  # the same column domains come back round after round: computed once
    for _ in range(6):
        changed = False
        for col in range(len(T3_COLUMNS)):
            if "results_total" in options and parts:
                changed |= _prune(options, values, _results_column(values, parts, col, seen), col)
            if all(k in options for k in BALANCE):
                changed |= _prune(options, values, _balance_column(values, col), col)
        if any(not o.cands for o in options.values()):
            _restore(options, before)
            return False
        if not changed:
            break
    if not _exact(options):
        _restore(options, before)
        return False
    _guard(options)
    return True


def _restore(options: dict[str, Options], before: dict[str, list]) -> None:
    for k, cands in before.items():
        options[k].cands = cands


def _guard(options: dict[str, Options]) -> None:
    for o in options.values():
        if o.guard is None and o.one is not None and o.values(o.one) not in {o.values(c) for c in o.cands}:
            o.guard = o.one


def _prune(options, values, feasible: dict[str, set[float]] | None, col: int) -> bool:
    if feasible is None:
        return False
    changed = False
    for key, allowed in feasible.items():
        o = options[key]
        kept = [(c, v) for c, v in zip(o.cands, values[key], strict=True) if v[col] in allowed]
        if len(kept) != len(o.cands):
            o.cands = [c for c, _ in kept]
            values[key] = [v for _, v in kept]
            changed = True
    return changed


def _results_column(values, parts: list[str], col: int, seen: dict | None = None) -> dict[str, set[float]] | None:
    """Per row, the values of column `col` that some choice of the other rows completes to a
    （七）总计 reading: prefix and suffix sums of the result rows. `seen` memoizes by the domains."""
    domains = [{v[col] for v in values[k]} for k in parts]
    targets = {v[col] for v in values["results_total"]}
    if seen is None:
        return _results_sums(domains, targets, parts)
    key = (tuple(map(frozenset, domains)), frozenset(targets))
    if key not in seen:
        seen[key] = _results_sums(domains, targets, parts)
    return seen[key]


def _results_sums(domains: list[set[float]], targets: set[float], parts: list[str]) -> dict[str, set[float]] | None:
    if not targets or not all(domains):
        return None
    top = max(targets)
    if 0 <= top <= MAX_BITS and all(_natural(x) for d in domains for x in d) and all(map(_natural, targets)):
        return _results_bits(domains, targets, parts, int(top))
    exact = all(_small_integer(x) for d in domains for x in d) and all(map(_small_integer, targets))
    prefix = [{0.0}]
    for d in domains:
        nxt = _sums(prefix[-1], d, top, exact)
        if nxt is None:
            return None
        prefix.append(nxt)
    suffix = [{0.0}]
    for d in reversed(domains):
        nxt = _sums(suffix[-1], d, top, exact)
        if nxt is None:
            return None
        suffix.append(nxt)
    suffix.reverse()
    feasible: dict[str, set[float]] = {"results_total": targets & prefix[-1]}
    for i, key in enumerate(parts):
        feasible[key] = _completed(domains[i], prefix[i], suffix[i + 1], targets)
    return feasible


def _sums(sums: set[float], domain: set[float], top: float, exact: bool = False) -> set[float] | None:
    """{s + x <= top}, or None as soon as it holds over MAX_SUMS sums. `exact`: integers, where
    s + x <= top and s <= top - x are the same test, so a sorted copy cuts the sums at once."""
    out: set[float] = set()
    ordered: list[float] | None = None
    high = max(sums)
    for x in domain:
        if high + x <= top:
            out.update(map(operator.add, sums, itertools.repeat(x)))
        elif exact:
            ordered = sorted(sums) if ordered is None else ordered
            keep = bisect.bisect_right(ordered, top - x)
            out.update(map(operator.add, ordered[:keep], itertools.repeat(x)))
        else:
            out.update(t for s in sums if (t := s + x) <= top)
        if len(out) > MAX_SUMS:
            return None
    return out


MAX_BITS = 1 << 22  # totals up to this are summed as bit sets (bit k: a sum of k is reachable)


def _natural(x: float) -> bool:
    return x >= 0 and (isinstance(x, int) or (isinstance(x, float) and x.is_integer()))


def _results_bits(domains: list[set[float]], targets: set[float], parts: list[str],
                  top: int) -> dict[str, set[float]] | None:
    """_results_column over non-negative integers: the same sets of sums, held as the bits of one
    integer (a shift adds a value to every sum at once). before[i]: sums of rows before i;
    needed[i]: what the rows from i on must add up to for some target."""
    mask = (1 << (top + 1)) - 1
    steps = [[int(x) for x in d if x <= top] for d in domains]  # a value over every target adds nothing
    before = [1]
    for xs in steps:
        nxt = 0
        for x in xs:
            nxt |= before[-1] << x
        nxt &= mask
        if nxt.bit_count() > MAX_SUMS:
            return None
        before.append(nxt)
    after = 1
    for xs in reversed(steps):
        nxt = 0
        for x in xs:
            nxt |= after << x
        after = nxt & mask
        if after.bit_count() > MAX_SUMS:
            return None
    needed = [0] * len(steps) + [sum(1 << int(t) for t in set(map(int, targets)))]
    for i in range(len(steps) - 1, 0, -1):
        for x in steps[i]:
            needed[i] |= needed[i + 1] >> x
    feasible: dict[str, set[float]] = {"results_total": {t for t in targets if before[-1] >> int(t) & 1}}
    for i, key in enumerate(parts):
        feasible[key] = {x for x in domains[i] if x <= top and (before[i] << int(x)) & needed[i + 1]}
    return feasible


def _completed(domain: set[float], before: set[float], after: set[float], targets: set[float]) -> set[float]:
    """The x of `domain` with t - p - x in `after` for some p in `before` and t in `targets`. Over
    integers well inside a float's exact range the sums can be grouped any way: the smallest loop
    is used; otherwise the order of the terms is kept."""
    if not all(map(_small_integer, itertools.chain(domain, before, after, targets))):
        return {x for x in domain if any((t - p - x) in after for p in before for t in targets)}
    if len(before) * len(targets) <= len(after):
        wanted = {t - p for p in before for t in targets}
        return {x for x in domain if any((w - x) in after for w in wanted)}
    if len(before) <= len(targets):
        return {x for x in domain if any((t - p - x) in after for p in before for t in targets)}
    return {x for x in domain if any((t - x - s) in before for s in after for t in targets)}


def _small_integer(x: float) -> bool:
    return isinstance(x, int) and -(2 ** 40) < x < 2 ** 40 or (
        isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 2 ** 40)


def _balance_column(values, col: int) -> dict[str, set[float]] | None:
    domains = [sorted({v[col] for v in values[k]}) for k in BALANCE]
    size = 1
    for d in domains:
        size *= len(d)
    if size > MAX_COMBINATIONS:
        return None
    feasible: dict[str, set[float]] = {k: set() for k in BALANCE}
    for n, o, r, f in itertools.product(*domains):
        if n + o == r + f:
            for k, x in zip(BALANCE, (n, o, r, f), strict=True):
                feasible[k].add(x)
    return feasible


def _exact(options: dict[str, Options]) -> bool:
    """Every combination of the remaining readings, when few enough: keep the readings some
    combination whose columns add up uses. False when none adds up."""
    keys = [k for k, o in options.items() if len(o.cands) > 1]
    size = 1
    for k in keys:
        size *= len(options[k].cands)
    if not keys or size > MAX_COMBINATIONS:
        return True
    used = _used_by_sums(options, keys)
    if used is None:
        used = _used_by_combinations(options, keys)
    if not any(used.values()):
        return False
    for k in keys:
        options[k].cands = [c for i, c in enumerate(options[k].cands) if i in used[k]]
    return True


def _used_by_combinations(options: dict[str, Options], keys: list[str]) -> dict[str, set[int]]:
    fixed = {k: dict(zip(T3_COLUMNS, o.values(o.cands[0]), strict=True))
             for k, o in options.items() if len(o.cands) == 1}
    used: dict[str, set[int]] = {k: set() for k in keys}
    for combo in itertools.product(*(range(len(options[k].cands)) for k in keys)):
        t3 = dict(fixed)
        for k, i in zip(keys, combo, strict=True):
            t3[k] = dict(zip(T3_COLUMNS, options[k].values(options[k].cands[i]), strict=True))
        if check_balance(t3)["ok"] is True and check_results(t3)["ok"] is True:
            for k, i in zip(keys, combo, strict=True):
                used[k].add(i)
    return used


_SIGNS = {"new_received": 1, "carried_over": 1, "results_total": -1, "carried_forward": -1}


def _used_by_sums(options: dict[str, Options], keys: list[str]) -> dict[str, set[int]] | None:
    """_used_by_combinations without listing the combinations, over integers (else None): both
    relations hold when the signed sum of the rows' contributions is zero in every column, so a
    reading is used when the sums reachable before its row plus its own plus the sums reachable
    after it can meet at zero (checks.py's conditions: every balance row and （七）总计 present)."""
    if not all(k in options for k in BALANCE) or "results_total" not in options:
        return {k: set() for k in keys}
    parts = set(result_parts(options))
    width = len(T3_COLUMNS)

    def contribution(key: str, values: tuple[float, ...]) -> tuple[float, ...]:
        sign = _SIGNS.get(key, 0)
        share = 1 if key in parts else -1 if key == "results_total" else 0
        return tuple(sign * v for v in values) + tuple(share * v for v in values)

    for o in options.values():
        if not all(_small_integer(v) for c in o.cands for v in o.values(c)):
            return None
    base = [0] * (2 * width)
    for k, o in options.items():
        if len(o.cands) == 1:
            base = [a + b for a, b in zip(base, contribution(k, o.values(o.cands[0])), strict=True)]
    steps = [[contribution(k, options[k].values(c)) for c in options[k].cands] for k in keys]
    after = [{(0,) * (2 * width)}]
    for step in reversed(steps):
        after.append({tuple(a + b for a, b in zip(s, v, strict=True)) for s in after[-1] for v in step})
    after.reverse()
    used: dict[str, set[int]] = {k: set() for k in keys}
    before = {tuple(base)}
    for i, (k, step) in enumerate(zip(keys, steps, strict=True)):
        for j, v in enumerate(step):
            if any(tuple(-(a + b) for a, b in zip(p, v, strict=True)) in after[i + 1] for p in before):
                used[k].add(j)
        before = {tuple(a + b for a, b in zip(p, v, strict=True)) for p in before for v in step}
    return used
