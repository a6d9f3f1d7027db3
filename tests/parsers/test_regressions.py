"""One test per real document that once broke (or showed a trap), named after it."""

from __future__ import annotations

import pytest

from parsers import parse


def record_of(shared_file, name: str) -> dict:
    path = shared_file(f"corpus/raw/{name}")
    return parse(path.read_bytes(), str(path)).to_record()


def test_2021_pingtan_txt_two_total_consistent_splits_resolved_by_column_sums(shared_file):
    path = shared_file("corpus/raw/2021-pingtan-txt.txt")
    strict = parse(path.read_bytes(), str(path))
    # blank cells allowed, `270020130` also reads 27|0|0|2|0|13|blank-total…: the text alone does not decide
    assert strict.to_record()["t3"]["granted"]["natural_person"] is None
    assert 27 in strict.undecided["t3.granted.natural_person"]
    assert any("t3.granted.natural_person" in w and "undecided" in w for w in strict.warnings)
    r = parse(path.read_bytes(), str(path), glued="assume-filled")
    assert r.to_record()["t3"]["granted"]["natural_person"] == 27
    assert r.to_record()["t3"]["unable.not_held"]["natural_person"] == 22
    cell = next(c for c in r.cells if c.key == "granted.natural_person")
    assert cell.kind == "assumed"
    assert any("t3.granted.natural_person" in w and "assume-filled" in w for w in r.warnings)


def test_2025_pingtan_jfj_txt_printed_inconsistencies_kept_and_failed(shared_file):
    path = shared_file("corpus/raw/2025-pingtan-jfj-txt.txt")
    strict = parse(path.read_bytes(), str(path)).to_record()
    # `010000000000000`: a misprinted total (0|1|0|0|0 with 总计 0) or a blank total (0|10|0|0|blank)?
    assert strict["t4"]["review.corrected"] is None
    assert any("t4.review.corrected" in w for w in strict["warnings"])
    r = parse(path.read_bytes(), str(path), glued="assume-filled").to_record()
    assert r["t4"]["review.corrected"] == 1 and r["t4"]["review.total"] == 0
    failed = {c["rule"].split(":")[0] for c in r["checks"] if c["ok"] is False}
    assert failed == {"t3.balance", "t3.results", "t4.groups"}


def test_2024_shanghai_kewei_md_unlabeled_rows_placed_by_template_order(shared_file):
    r = record_of(shared_file, "2024-shanghai-kewei-md.md")
    assert r["t3"]["partially_granted"]["total"] == 0
    assert r["t3"]["denied.internal_affairs"]["total"] == 1
    assert r["t3"]["unable.not_held"]["total"] == 4
    assert r["t3"]["other.no_correction"]["total"] == 10
    assert r["t3"]["carried_forward"]["total"] == 1  # blank in the table, derived
    assert all(c["ok"] for c in r["checks"])


def test_2019_shanghai_bgt_html_blank_totals_derived_and_misaligned_colspans(shared_file):
    r = record_of(shared_file, "2019-shanghai-bgt-html.html")
    assert r["t3"]["granted"]["total"] == 272
    assert r["t2"]["procurement.amount"] == 251000.0
    assert any("blank total, derived" in w for w in r["warnings"])


def test_2019_pingtan_gaj_txt_glued_t2_left_null_with_named_warning(shared_file):
    r = record_of(shared_file, "2019-pingtan-gaj-txt.txt")
    assert r["t2"]["licensing.prev_items"] is None
    assert any("t2.licensing.prev_items" in w and "'4500'" in w for w in r["warnings"])


def test_2025_shuyang_county_md_t4_printed_as_three_tables(shared_file):
    r = record_of(shared_file, "2025-shuyang-county-md.md")
    assert [r["t4"][f"{g}.total"] for g in ("review", "suit_direct", "suit_after_review")] == [61, 3, 10]


def test_2023_huaian_hongze_pdf_single_other_row_on_2021_template(shared_file):
    r = record_of(shared_file, "2023-huaian-hongze-pdf.pdf")
    assert r["template"] == "2021"
    assert "other" in r["t3"] and "other.other" not in r["t3"]
    assert r["t2"]["fees.amount"] == pytest.approx(77302800.0)


@pytest.mark.parametrize("name", ["2011-pingtan-xian-txt.txt", "2017-pingtan-txt.txt", "2018-pingtan-txt.txt"])
def test_pre2019_reports_get_no_template_and_no_invented_numbers(shared_file, name):
    r = record_of(shared_file, name)
    assert r["template"] is None and r["t3"] == {} and r["error"] is None
