"""Every number citable: typed columns read the same by load(), DuckDB, pandas + datapackage.json and
Parquet; SQL-safe names; codebook.csv; datapackage.json's release fields; cells traced to page and label."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import parsers
from pipeline import load, run_pipeline
from pipeline.dataset.codebook import codebook_frame
from pipeline.dataset.schema import SCHEMAS, column_keys
from tests.release import current
from tests.synth import make_report
from tests.synth_docs import render_pdf

ROOT = Path(__file__).resolve().parents[2]
SQL_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "string": "string", "boolean": "boolean"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    clean = tmp_path_factory.mktemp("clean")
    run_pipeline(ROOT / "data" / "raw", clean, licence="CC0-1.0")
    return current(clean)


def read_csv_with_datapackage(folder: Path, name: str) -> pd.DataFrame:
    """What a researcher does with pandas and datapackage.json alone (no nianbao code)."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == name)
    fields = resource["schema"]["fields"]
    dtypes = {f["name"]: PANDAS_TYPES.get(f["type"], "string") for f in fields}
    if resource["path"].endswith(".parquet"):  # a Parquet-first table (cells): its types are in the file
        return pd.read_parquet(folder / resource["path"]).astype(dtypes)
    frame = pd.read_csv(folder / resource["path"], dtype=dtypes, keep_default_na=False, na_values=[""])
    for f in fields:
        if f["type"] == "date":
            frame[f["name"]] = pd.to_datetime(frame[f["name"]]).dt.date.astype(pd.ArrowDtype(pa.date32()))
        elif f["type"] == "datetime":
            frame[f["name"]] = pd.to_datetime(frame[f["name"]], utc=True).astype("datetime64[ms, UTC]")
    return frame


def test_counts_are_integers_money_floats_dates_dates_in_load_csv_and_duckdb(dataset):
    import duckdb

    frames = load(dataset)
    t3, t2, reports = frames["t3"], frames["t2"], frames["reports"]
    assert t3["t3_granted_total"].dtype == "Int64" and t2["t2_procurement_amount"].dtype == "Float64"
    assert sum(str(t) == "Float64" for t in t3.dtypes) == 0 and frames["cells"]["value"].dtype == "Int64"
    assert str(reports["published"].dtype) == "date32[day][pyarrow]"
    assert isinstance(reports["published"].dropna().iloc[0], datetime.date)
    assert set(reports["template"].dropna()) <= {"2019", "2021"} and reports["template"].dtype == "string"
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(read_csv_with_datapackage(dataset, name), frames[name], check_dtype=True)
    con = duckdb.connect()
    def duck_types(name: str) -> dict[str, str]:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{dataset / (name + '.parquet')}')").fetchall()
        return {row[0]: row[1] for row in rows}

    types = duck_types("reports")
    assert (types["published"], types["template"], types["year"]) == ("DATE", "VARCHAR", "BIGINT")
    assert types["first_fetched"] == "TIMESTAMP WITH TIME ZONE"
    assert duck_types("t3")["t3_granted_total"] == "BIGINT" and duck_types("t2")["t2_fees_amount"] == "DOUBLE"


def test_the_parquet_schema_is_what_r_arrow_reads(dataset):
    schema = {n: pq.read_schema(dataset / f"{n}.parquet") for n in SCHEMAS}
    assert schema["t3"].field("t3_new_received_total").type == pa.int64()
    assert schema["t2"].field("t2_fees_amount").type == pa.float64()
    assert schema["reports"].field("published").type == pa.date32()
    assert schema["reports"].field("template").type in (pa.string(), pa.large_string())
    assert schema["reports"].field("last_fetched").type == pa.timestamp("ms", tz="UTC")
    assert schema["cells"].field("page").type == pa.int64() and schema["cells"].field("value").type == pa.int64()
    for name, dtypes in SCHEMAS.items():
        ints = [c for c, t in dtypes.items() if t == "Int64"]
        assert all(schema[name].field(c).type == pa.int64() for c in ints), name


def test_rows_come_sorted_by_agency_year_report_id(dataset):
    for name in ("reports", "t2", "t3", "t4", "comparable"):
        frame = pd.read_csv(dataset / f"{name}.csv", dtype=str, keep_default_na=False)
        keys = [(a == "", a, int(y or 0), r) for a, y, r in zip(frame["agency"], frame["year"], frame["report_id"],
                                                                 strict=True)]
        assert keys == sorted(keys), name
    order = {rid: i for i, rid in enumerate(pd.read_csv(dataset / "reports.csv", dtype=str)["report_id"])}
    cells = pd.read_parquet(dataset / "cells.parquet", columns=["report_id"])  # cells: in the order of reports
    positions = [order[r] for r in cells["report_id"]]
    assert positions == sorted(positions)


def test_every_column_is_sql_safe_and_queried_unquoted_in_duckdb_and_sqlite(dataset):
    import duckdb

    names = [c for schema in SCHEMAS.values() for c in schema]
    assert all(SQL_NAME.match(c) for c in names)
    con = duckdb.connect()
    db = sqlite3.connect(":memory:")
    for name, schema in SCHEMAS.items():
        path = dataset / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else \
            pd.read_parquet(dataset / f"{name}.parquet").astype("string")
        frame.to_sql(name, db, index=False)
        columns = ", ".join(schema)
        assert len(db.execute(f"SELECT {columns} FROM {name}").fetchall()) == len(frame)
        assert len(con.execute(f"SELECT {columns} FROM read_parquet('{dataset / (name + '.parquet')}')")
                   .fetchall()) == len(frame)
    total = con.execute(f"SELECT sum(t3_new_received_total) FROM read_parquet('{dataset / 't3.parquet'}')").fetchone()[0]
    assert total == load(dataset)["t3"]["t3_new_received_total"].sum() and total > 0


def test_the_dotted_key_stays_in_cells_and_the_codebook_maps_every_column(dataset):
    book = pd.read_csv(dataset / "codebook.csv", dtype=str, keep_default_na=False, na_values=[""])
    assert list(book.columns) == ["table", "column", "key", "label", "meaning", "unit", "type", "template"]
    assert list(zip(book["table"], book["column"], strict=True)) == [(t, c) for t, s in SCHEMAS.items() for c in s]
    assert book["meaning"].notna().all() and book["type"].notna().all()
    frames = load(dataset)
    cell_keys = set(frames["cells"]["key"])
    for table in ("t2", "t3", "t4"):
        for column, key in column_keys(table).items():
            row = book[(book["table"] == table) & (book["column"] == column)].iloc[0]
            assert row["key"] == key and row["label"].startswith(("表二", "表三", "表四")) and row["unit"] in ("件", "项", "元")
            assert row["template"] in ("2019", "2021", "2019 2021")
    assert {"t3.granted.total", "t2.procurement.amount", "t4.review.total"} <= cell_keys
    granted = book[(book["table"] == "t3") & (book["column"] == "t3_granted_total")].iloc[0]
    assert (granted["key"], granted["unit"], granted["template"]) == ("t3.granted.total", "件", "2019 2021")
    assert "予以公开" in granted["label"] and "总计" in granted["label"]
    only_2021 = book[(book["table"] == "t3") & (book["column"] == "t3_other_no_fee_paid_total")].iloc[0]
    assert only_2021["template"] == "2021"
    pd.testing.assert_frame_equal(book.astype("string"), codebook_frame().astype("string"))


def test_the_datapackage_has_version_created_licence_sources_foreign_keys_and_hashes(dataset):
    import frictionless

    package = json.loads((dataset / "datapackage.json").read_text(encoding="utf-8"))
    release = json.loads((dataset / "release.json").read_text(encoding="utf-8"))
    assert package["version"] == release["id"] and re.match(r"^\d{8}T\d{6}Z(-\d+)?$", package["version"])
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", package["created"])
    assert package["licenses"] == [{"name": "CC0-1.0", "title": "CC0 1.0 Universal",
                                    "path": "https://creativecommons.org/publicdomain/zero/1.0/"}]
    assert package["sources"] and all("title" in s for s in package["sources"])
    resources = {r["name"]: r for r in package["resources"]}
    for name in ("t2", "t3", "t4", "cells", "comparable"):
        assert {"fields": "report_id", "reference": {"resource": "reports", "fields": "report_id"}} in \
            resources[name]["schema"]["foreignKeys"]
    assert resources["reports"]["schema"]["foreignKeys"] == [
        {"fields": "agency_id", "reference": {"resource": "agencies", "fields": "agency_id"}}]
    for name, res in resources.items():
        data = (dataset / res["path"]).read_bytes()
        if res["path"].endswith(".parquet"):  # a Parquet-first table: frictionless counts no bytes there
            assert res["file_bytes"] == len(data) and res["file_sha256"] == hashlib.sha256(data).hexdigest(), name
            continue
        assert res["bytes"] == len(data) and res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), name
    report = frictionless.validate(dataset / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_a_changed_file_no_longer_matches_its_hash(dataset, tmp_path):
    import frictionless

    for p in dataset.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    with open(tmp_path / "agencies.csv", "ab") as fh:
        fh.write(b"\n")
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid and {"hash-count", "byte-count"} & {e[0] for e in report.flatten(["type"])}


def test_pdf_cells_carry_their_page_and_printed_label():
    report = parsers.parse(render_pdf(make_report("2021", 3), break_t3="row"), "x.pdf")
    assert report.error is None
    for cell in report.cells:
        if cell.kind != "missing":
            assert cell.page in report.pages[cell.table], cell
    t3 = [c for c in report.cells if c.table == "t3" and c.kind != "missing"]
    assert {c.page for c in t3} == set(report.pages["t3"]) and len(report.pages["t3"]) == 2
    granted = next(c for c in t3 if c.key == "granted.total")
    assert "予以公开" in granted.label


def test_html_cells_carry_the_printed_label_and_the_column_header_where_it_lines_up(dataset):
    frames = load(dataset)
    cells = frames["cells"].merge(frames["reports"][["report_id", "source"]], on="report_id")
    html = cells[cells["source"].str.endswith("01_2020_html_gbk.html")].set_index("key")
    assert html["page"].isna().all()
    assert html.loc["t2.rules.made", "label"] == "规章"
    assert "制作" in html.loc["t2.rules.made", "header"] and "公开总" in html.loc["t2.rules.published_total", "header"]
    assert "采购" in html.loc["t2.procurement.amount", "header"] and html.loc["t2.procurement.amount", "amount"] > 0
    assert pd.isna(html.loc["t2.procurement.amount", "value"])
    assert html.loc["t3.new_received.total", "label"].startswith("一、本年新收")


def test_a_publication_date_that_is_not_a_date_is_null_with_a_warning():
    from parsers.model import Report
    from pipeline.dataset.normalize import records_to_frames

    report = Report(source="x.txt", agency="示例县", year=2022, published="2023-02-30")
    row = records_to_frames([(report, {"source": "x.txt", "sha256": "ab" * 32, "size_bytes": 1})])["reports"].iloc[0]
    assert pd.isna(row["published"]) and row["warnings"] == "published: '2023-02-30' is not a date; left null"
    assert row["warnings_count"] == 1
