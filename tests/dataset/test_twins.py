"""Twin renderings and last year's report settle what one document cannot: filled only with a value
the document allows, every disagreement a failed `twin` crosscheck and a null cell, never a pick."""

from __future__ import annotations

import copy

import pytest

from parsers import parse
from parsers.model import UNDECIDED
from pipeline.dataset.twins import (
    LAST_YEAR,
    TWIN_CONFLICT,
    Meta,
    are_twins,
    meta_of,
    settle_across,
    settle_carry_over,
    twin_candidates,
)
from tests.synth import make_report, render_glued, render_html, render_markdown


def read(doc: bytes, name: str):
    report = parse(doc, source=name)
    assert report.error is None
    return report


def cells(report) -> dict:
    return {f"{c.table}.{c.key}": c for c in report.cells}


def run(reports: dict):
    """settle_across over {report_id: (report, prov)}, loading from the dict."""
    metas = [meta_of(rid, rep, prov) for rid, (rep, prov) in reports.items()]
    return settle_across(metas, lambda rid: reports[rid][0])


def glued_with_undecided(limit: int = 60):
    for seed in range(limit):
        truth = make_report("2021", seed)
        glued = read(render_glued(truth), f"g{seed}.txt")
        if glued.undecided and glued.agency:
            return truth, glued
    pytest.skip("no generated glued report with undecided cells")


def test_an_html_twin_fills_what_the_glued_text_cannot_decide_with_the_printed_values():
    truth, glued = glued_with_undecided()
    html = read(render_html(truth), "page.html")
    assert are_twins(glued, html)
    out = run({"a" * 16: (glued, {}), "b" * 16: (html, {})})
    kept_id = next(iter(out.reports))
    assert kept_id == "b" * 16 and out.twin_of == {"a" * 16: "b" * 16}  # the HTML reads more
    assert out.crosschecks == []
    kept = cells(out.reports[kept_id])
    assert all(kept[name].value == cell.value for name, cell in cells(html).items())


def test_the_kept_glued_reading_gets_twin_values_only_among_its_own_candidates():
    truth, glued = glued_with_undecided()
    html = read(render_html(truth), "page.html")
    glued_nulls = sum(1 for c in glued.cells if c.value is None)
    # make the HTML the poorer reading: it loses cells the glued text did read, keeps the undecided ones
    lost = [c for c in html.cells if f"{c.table}.{c.key}" not in glued.undecided][: glued_nulls + 1]
    for c in lost:
        c.value, c.kind = None, "missing"
    out = run({"a" * 16: (glued, {}), "b" * 16: (html, {})})
    kept = out.reports.get("a" * 16)
    assert kept is not None and out.twin_of == {"b" * 16: "a" * 16} and out.crosschecks == []
    truth_cells = cells(read(render_html(truth), "again.html"))
    for name, candidates in glued.undecided.items():
        cell = cells(kept)[name]
        assert cell.kind == "twin_html" and cell.value == truth_cells[name].value
        assert cell.value in candidates and name not in kept.undecided
    for c in lost:  # what the twin lost, the kept reading keeps as it read it
        name = f"{c.table}.{c.key}"
        assert cells(kept)[name].value == cells(glued)[name].value


def test_renderings_that_disagree_give_a_failed_twin_check_and_a_null_cell():
    truth = make_report("2019", 3)
    html, md = read(render_html(truth), "page.html"), read(render_markdown(truth), "page.md")
    changed = next(c for c in md.cells if c.table == "t3" and c.value)
    changed.value += 1
    out = run({"a" * 16: (html, {}), "b" * 16: (md, {})})
    [row] = out.crosschecks
    name = f"t3.{changed.key}"
    assert row["check_name"] == "twin" and row["ok"] is False and name in row["detail"]
    kept = cells(out.reports[row["report_id"]])
    assert kept[name].value is None and kept[name].kind == TWIN_CONFLICT
    assert any(name in w and "differ" in w for w in out.reports[row["report_id"]].warnings)


def test_two_different_reports_of_one_agency_and_year_are_not_twins():
    one = read(render_html(make_report("2021", 5, year=2023)), "one.html")
    other = read(render_html(make_report("2021", 6, year=2023)), "other.html")
    other.agency = one.agency
    assert not are_twins(one, other)
    out = run({"a" * 16: (one, {}), "b" * 16: (other, {})})
    assert out.twin_of == {} and out.reports == {} and out.crosschecks == []


def test_an_attachment_and_its_page_are_grouped_by_their_urls_whatever_the_agency_spelling():
    page = Meta("a" * 16, "某县人民政府", 2022, url="https://x.gov.cn/art/1.html")
    pdf = Meta("b" * 16, None, 2022, url="https://x.gov.cn/f/1.pdf", parent_url="https://x.gov.cn/art/1.html")
    elsewhere = Meta("c" * 16, "某县人民政府", 2021)
    assert twin_candidates([page, pdf, elsewhere]) == [["a" * 16, "b" * 16]]


def test_last_years_carried_forward_settles_an_undecided_carried_over_cell_only_among_its_readings():
    last = read(render_html(make_report("2021", 8, year=2022)), "2022.html")
    this = read(render_html(make_report("2021", 9, year=2023)), "2023.html")
    forward = cells(last)["t3.carried_forward.total"].value
    over = cells(this)["t3.carried_over.total"]
    over.value, over.kind = None, UNDECIDED
    this.undecided["t3.carried_over.total"] = [forward, forward + 10]
    kept = copy.deepcopy(this)
    settle_carry_over(last, this)
    assert cells(this)["t3.carried_over.total"].value == forward
    assert cells(this)["t3.carried_over.total"].kind == LAST_YEAR and "t3.carried_over.total" not in this.undecided
    kept.undecided["t3.carried_over.total"] = [forward + 1, forward + 2]  # last year's value is no reading here
    settle_carry_over(last, kept)
    assert cells(kept)["t3.carried_over.total"].value is None


def test_an_amount_the_twins_print_differently_is_a_crosscheck_the_table_can_hold():
    from pipeline.dataset.schema import frame

    truth = make_report("2019", 4)
    html, md = read(render_html(truth), "page.html"), read(render_markdown(truth), "page.md")
    amount = next(c for c in md.cells if c.key == "procurement.amount")
    amount.value = (amount.value or 0) + 0.5  # a fraction of a yuan: no count
    out = run({"a" * 16: (html, {}), "b" * 16: (md, {})})
    [row] = out.crosschecks
    assert "procurement.amount" in row["detail"] and None in (row["expected"], row["found"])
    assert len(frame(out.crosschecks, "crosschecks")) == 1  # the crosschecks table takes the row
