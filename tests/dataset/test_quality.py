"""`nianbao quality`: what failed, what did not add up, what was read with warnings, counted by reason."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline import load, run_pipeline
from pipeline.cli.dataset import quality_command
from pipeline.dataset.quality import quality_table, warning_kind
from tests.make_samples import series
from tests.synth import SHAPES, make_report


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "junk.bin").write_bytes(bytes(range(256)) * 40)
    (raw / "broken_t4.txt").write_bytes(SHAPES["row_lines"](make_report("2021", 5, inconsistent="t4_total")))
    (raw / "blanks.html").write_bytes(SHAPES["html"](make_report("2019", 6, blank_zeros=True, blank_totals=True)))
    for report, shape, name in series(carry=(True, False)):
        (raw / f"{name}.txt").write_bytes(SHAPES[shape](report))
    out = raw.parent / (raw.name + "-clean")
    summary = run_pipeline(raw, out)
    assert (summary.documents, summary.failed) == (7, 2)
    return out


def counts(table, section: str) -> dict[str, int]:
    rows = table[table["section"] == section]
    return dict(zip(rows["reason"], rows["count"], strict=True))


def test_failed_documents_are_counted_by_reason(clean):
    table = quality_table(load(clean))
    assert counts(table, "failed") == {"empty": 1, "unsupported_format": 1}
    examples = table[table["section"] == "failed"]["examples"].tolist()
    assert any("empty.txt: empty file" in e for e in examples)


def test_relations_and_cross_year_checks_that_do_not_add_up(clean):
    table = quality_table(load(clean))
    assert counts(table, "checks") == {"t4.groups": 1}
    assert counts(table, "crosschecks") == {"carry_over: failed": 1, "carry_over: ok": 1,
                                            "narrative.carried_over: ok": 5, "narrative.received: ok": 5}


def test_warnings_and_cells_by_kind(clean):
    frames = load(clean)
    table = quality_table(frames)
    warnings = counts(table, "warnings")
    assert warnings["blank total derived from its parts"] >= 1
    cells = counts(table, "cells")
    expected = frames["cells"]["kind"].value_counts().to_dict()
    expected.pop("number")
    assert cells == expected and cells["derived"] >= 1


@pytest.mark.parametrize(("text", "kind"), [
    ("t3.new_received.total: blank total, derived as 413 from its parts", "blank total derived from its parts"),
    ("t2.fees.amount: no unit printed; read in 万元 ('0.09')", "money with no unit (column's unit assumed)"),
    ("t2.procurement.amount: unit 万元 converted to 元 ('2478.7435万元')", "money unit converted to 元"),
    ("year: not printed; taken as publication year - 1 (2020)", "year not printed (publication year - 1)"),
    ("t3.other.no_fee_paid: row had no readable label (line 164); placed by template order",
     "rows placed by template order (label lost)"),
    ("t3.granted.total, t4.review.total: something new (line 3) '12'", "other: something new … …"),
])
def test_warning_kinds(text, kind):
    assert warning_kind(text) == kind


def test_the_command_prints_every_section_and_writes_csv(clean, tmp_path):
    result = CliRunner().invoke(quality_command, ["--clean", str(clean), "--csv", str(tmp_path / "q.csv")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("7 documents\n")
    for title in ("could not be read", "do not add up", "checks across reports", "with warnings", "cells not read"):
        assert title in out
    assert "     1  empty   e.g. empty.txt: empty file" in out
    text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    assert text.startswith("section,reason,count,examples\n") and "carry_over: failed" in text
