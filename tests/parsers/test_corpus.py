"""The real documents of ../shared: the seed and every corpus file with a hand-checked record.

A cell matches its expected value, or is null with a warning naming it (glued text with several
readings the arithmetic cannot tell apart). Nothing else is allowed: no cell silently wrong.
"""

from __future__ import annotations

import csv
import json

import pytest

from parsers import parse
from tests.conftest import SHARED

EXPECTED = sorted((SHARED / "corpus" / "expected").glob("*.json")) if SHARED.is_dir() else []


def raw_for(doc_id: str):
    found = sorted((SHARED / "corpus" / "raw").glob(f"{doc_id}.*"))
    if not found:
        pytest.skip(f"no raw file for {doc_id}")
    return found[0]


def expected_cells(expected: dict) -> dict[str, object]:
    cells = {f"t2.{k}": v for k, v in expected["t2"].items()}
    cells.update({f"t4.{k}": v for k, v in expected["t4"].items()})
    cells.update({f"t3.{r}.{c}": v for r, cols in expected["t3"].items() for c, v in cols.items()})
    return cells


def got_cells(record: dict) -> dict[str, object]:
    return expected_cells({"t2": record["t2"], "t3": record["t3"], "t4": record["t4"]})


def compare(record: dict, expected: dict) -> list[str]:
    got = got_cells(record)
    want = expected_cells(expected)
    problems = [f"{k}: missing" for k in want if k not in got]
    problems += [f"{k}: not in the expected record" for k in got if k not in want]
    for key, value in want.items():
        if key not in got:
            continue
        if got[key] is None:
            if not any(key in w for w in record["warnings"]):
                problems.append(f"{key}: null without a warning naming it")
        elif got[key] != value:
            problems.append(f"{key}: got {got[key]!r}, expected {value!r}")
    return problems


def test_seed_record_equals_expected(shared_file):
    raw = shared_file("seed/000_fec4c02d00d1c11d.txt")
    expected = json.loads(shared_file("seed/000_fec4c02d00d1c11d.expected.json").read_text("utf-8"))
    record = parse(raw.read_bytes(), str(raw)).to_record()
    for field in ("format", "template", "year", "agency", "published", "index_no", "t2", "t3", "t4"):
        assert record[field] == expected[field], field
    assert all(c["ok"] for c in record["checks"])


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_corpus_document_matches_expected(path):
    expected = json.loads(path.read_text("utf-8"))
    raw = raw_for(expected["id"])
    record = parse(raw.read_bytes(), str(raw)).to_record()
    assert record["error"] is None
    assert record["template"] == expected["template"]
    assert record["year"] == expected["year"]
    assert compare(record, expected) == []


def manifest_rows():
    path = SHARED / "corpus" / "MANIFEST.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda r: r["id"])
def test_every_corpus_document_parses_and_checks_honestly(row):
    raw = SHARED / "corpus" / "raw" / row["file"]
    if not raw.is_file():
        pytest.skip(f"{row['file']} is not here")
    report = parse(raw.read_bytes(), str(raw))
    assert report.error is None
    assert report.year == int(row["year"])
    if row["template"] == "pre2019":
        assert report.template is None and report.cells == []
        assert any("pre-2019" in w for w in report.warnings)
        return
    assert report.template == row["template"]
    assert [c["rule"].split(":")[0] for c in report.checks] == ["t3.balance", "t3.results", "t3.applicants",
                                                                 "t4.groups"]
    for check in report.checks:
        assert check["ok"] in (True, False, None)
        assert check["ok"] is not False or check["detail"]
