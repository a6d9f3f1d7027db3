"""Generated reports in every shape, read back and scored cell by cell (tests and benchmarks share it).

A cell is right (the record holds the printed value), null (the parser could not decide and says so)
or silently wrong (a value is stated and it is not the printed one: the outcome that must never occur).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parsers import parse
from tests.synth import SHAPES, make_report

TEXT_SHAPES = ("html", "seed_text", "row_lines", "expanded", "markdown", "script", "glued")
DOC_SHAPES = ("docx", "pdf")
OPTION_CHOICES: dict[str, tuple[Any, ...]] = {
    "t4_full_header": (False, True), "t4_blank": (None, None, "all", "lead"), "t2_units": (False, True),
    "blank_rows": (False, True), "prose_pipe": (False, True), "blank_zeros": (False, True),
    "blank_totals": (False, False, True), "label_variants": (False, True), "extra_row": (False, True),
    "zero_heavy": (False, False, True),
}


def render(shape: str, report: dict[str, Any]) -> bytes:
    if shape in DOC_SHAPES:
        from tests.synth_docs import render_docx, render_pdf

        return render_pdf(report) if shape == "pdf" else render_docx(report)
    return SHAPES[shape](report)


def draw_options(rng: random.Random) -> dict[str, Any]:
    opts = {k: rng.choice(v) for k, v in OPTION_CHOICES.items()}
    return {k: v for k, v in opts.items() if v}


def flat(tables: dict[str, Any]) -> dict[str, Any]:
    cells = {f"t2.{k}": v for k, v in (tables.get("t2") or {}).items()}
    cells.update({f"t3.{r}.{c}": v for r, cols in (tables.get("t3") or {}).items() for c, v in cols.items()})
    cells.update({f"t4.{k}": v for k, v in (tables.get("t4") or {}).items()})
    return cells


@dataclass
class Score:
    right: Counter = field(default_factory=Counter)
    null: Counter = field(default_factory=Counter)
    wrong: Counter = field(default_factory=Counter)
    docs: Counter = field(default_factory=Counter)
    inexact: Counter = field(default_factory=Counter)
    wrong_cells: list[str] = field(default_factory=list)

    def add(self, shape: str, doc: str, report: dict[str, Any], record: dict[str, Any]) -> None:
        self.docs[shape] += 1
        want = flat(report["expected"])
        got = flat(record) if record.get("error") is None else {}
        exact = True
        for name, value in want.items():
            have = got.get(name)
            if have is None:
                self.null[shape] += 1
                exact = False
            elif have == value and not isinstance(have, bool):
                self.right[shape] += 1
            else:
                self.wrong[shape] += 1
                exact = False
                self.wrong_cells.append(f"{doc} {name}: got {have!r}, printed value {value!r}")
        self.inexact[shape] += not exact

    def total(self, shapes: tuple[str, ...] | None = None) -> tuple[int, int, int]:
        keys = shapes or tuple(self.docs)
        return (sum(self.right[s] for s in keys), sum(self.null[s] for s in keys), sum(self.wrong[s] for s in keys))


def measure(per_shape: int, shapes: tuple[str, ...] = TEXT_SHAPES, seed: int = 0, glued: str = "strict") -> Score:
    """`per_shape` generated reports (both templates, random printing habits) in each shape."""
    score = Score()
    rng = random.Random(f"accuracy:{seed}")
    for shape in shapes:
        for i in range(per_shape):
            template = ("2019", "2021")[i % 2]
            opts = draw_options(rng)
            report = make_report(template, 100 + i, **opts)
            record = parse(render(shape, report), source=f"{shape}-{template}-{i}", glued=glued).to_record()
            score.add(shape, f"{shape} {template} seed {100 + i} {sorted(opts)}", report, record)
    return score
