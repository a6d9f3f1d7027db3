"""Mixed synthetic corpora (text, HTML, Markdown, PDF, DOCX) for the engine tests and benchmarks/bench_run.py.

Every document is a rendering of tests.synth.make_report (made-up agencies and numbers); the same
(n, seed) gives the same files. PDF and DOCX are a small share, as in the archive.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.synth import SHAPES, make_report

TEXT_SHAPES = (("html", "html"), ("html_gbk", "html"), ("seed_text", "txt"), ("row_lines", "txt"),
               ("markdown", "md"), ("glued", "txt"), ("expanded", "txt"))


def document(i: int, seed: int = 0, pdf_share: float = 0.03, docx_share: float = 0.03) -> tuple[str, bytes]:
    """(file name, bytes) of document number i."""
    rng = random.Random(f"corpus:{seed}:{i}")
    template = rng.choice(("2019", "2021"))
    report = make_report(template, seed * 1_000_003 + i, blank_zeros=rng.random() < 0.3,
                         inconsistent=rng.random() < 0.1)
    roll = rng.random()
    if roll < pdf_share:
        from tests.synth_docs import render_pdf

        return f"d{i:06d}.pdf", render_pdf(report)
    if roll < pdf_share + docx_share:
        from tests.synth_docs import render_docx

        return f"d{i:06d}.docx", render_docx(report)
    shape, ext = TEXT_SHAPES[rng.randrange(len(TEXT_SHAPES))]
    return f"d{i:06d}.{ext}", SHAPES[shape](report)


def write_corpus(folder: Path, n: int, seed: int = 0, start: int = 0, per_folder: int = 500, **shares: float) -> list[Path]:
    """Documents start..start+n-1 under folder/<group>/ (at most per_folder a folder)."""
    written = []
    for i in range(start, start + n):
        name, raw = document(i, seed, **shares)
        path = folder / f"g{i // per_folder:04d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(raw)
        written.append(path)
    return written
