"""Evidence inside one document that removes readings of undecided rows.

- the numbers the prose quotes (parsers.narrative): a row's total, 表二 counts, 表四 totals;
- 表三's column relations (checks.py): every column, 一 + 二 = （七）总计 + 四 and （七）总计 = the sum
  of the result rows. First each column alone (cheap, sound: a reading whose cell no column
  solution can hold goes), then every remaining combination when there are few enough.

Evidence that fits no reading is set aside (the prose or a total may be misprinted), never forced.
"""

from __future__ import annotations

import itertools
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
    for _ in range(6):
        changed = False
        for col in range(len(T3_COLUMNS)):
            if "results_total" in options and parts:
                changed |= _prune(options, values, _results_column(values, parts, col), col)
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


def _results_column(values, parts: list[str], col: int) -> dict[str, set[float]] | None:
    """Per row, the values of column `col` that some choice of the other rows completes to a
    （七）总计 reading: prefix and suffix sums of the result rows."""
    domains = [{v[col] for v in values[k]} for k in parts]
    targets = {v[col] for v in values["results_total"]}
    if not targets or not all(domains):
        return None
    top = max(targets)
    prefix = [{0.0}]
    for d in domains:
        nxt = {p + x for p in prefix[-1] for x in d if p + x <= top}
        if len(nxt) > MAX_SUMS:
            return None
        prefix.append(nxt)
    suffix = [{0.0}]
    for d in reversed(domains):
        suffix.append({s + x for s in suffix[-1] for x in d if s + x <= top})
        if len(suffix[-1]) > MAX_SUMS:
            return None
    suffix.reverse()
    feasible: dict[str, set[float]] = {"results_total": targets & prefix[-1]}
    for i, key in enumerate(parts):
        feasible[key] = {x for x in domains[i]
                         if any((t - p - x) in suffix[i + 1] for p in prefix[i] for t in targets)}
    return feasible


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
    if not any(used.values()):
        return False
    for k in keys:
        options[k].cands = [c for i, c in enumerate(options[k].cands) if i in used[k]]
    return True
