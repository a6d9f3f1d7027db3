"""Generated reports in every shape (random printing habits: blank 表四 cells, full-width 表四 headers,
empty rows, units in 表二, pipes in the prose, bodies in scripts): no cell silently wrong, and every
cell right outside glued text (benchmarks/bench_accuracy.py runs the same on 200+ documents)."""

from __future__ import annotations

from tests.accuracy import TEXT_SHAPES, measure


def test_generated_reports_have_no_silently_wrong_cell_and_are_exact_outside_glued_text():
    score = measure(per_shape=6, shapes=TEXT_SHAPES, seed=1)
    assert score.wrong_cells == []
    exact = tuple(s for s in TEXT_SHAPES if s != "glued")
    right, null, wrong = score.total(exact)
    assert (null, wrong) == (0, 0), f"{null} null cells outside glued text"
    assert right == sum(score.docs[s] for s in exact) * (right // sum(score.docs[s] for s in exact))
    glued_right, glued_null, _ = score.total(("glued",))
    assert glued_right > glued_null / 4, "glued text: runs of zeros and empty rows must still be read"


def test_word_and_pdf_renderings_are_exact():
    score = measure(per_shape=2, shapes=("docx", "pdf"), seed=2)
    assert score.wrong_cells == []
    assert score.total()[1:] == (0, 0)
