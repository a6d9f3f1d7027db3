"""The dataset as a product: crosswalk, datapackage.json, CSV = Parquet = DuckDB, Excel CSV, validation
that keeps the previous dataset, and load()."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import parsers
from parsers.model import Cell, Report
from parsers.templates import T3_COLUMNS
from pipeline import DatasetInvalid, DatasetMissing, load, run_pipeline
from pipeline.dataset.crosswalk import comparable_keys
from pipeline.dataset.export import read_frames, write_frames
from pipeline.dataset.normalize import SCHEMAS, records_to_frames
from pipeline.dataset.twins import DATASET_KINDS
from tests.release import current
from tests.synth import SHAPES, make_report

ROOT = Path(__file__).resolve().parents[2]

NO_OVERRIDES = "/nonexistent/overrides.csv"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The bundled samples, run once into a temporary folder."""
    clean = tmp_path_factory.mktemp("clean")
    summary = run_pipeline(ROOT / "data" / "raw", clean)
    assert summary.parsed >= 9 and summary.failed == 0
    return current(clean)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def parsed(template: str, seed: int, shape: str = "row_lines", **opts) -> tuple[Report, dict]:
    raw = SHAPES[shape](make_report(template, seed, **opts))
    report = parsers.parse(raw, f"{template}-{seed}.txt")
    assert report.error is None
    return report, {"source": f"{template}-{seed}.txt", "sha256": hashlib.sha256(raw).hexdigest(), "size_bytes": len(raw)}


# ---------------------------------------------------------------- crosswalk


def test_2021_three_other_rows_sum_to_the_2019_single_other_row():
    r19, r21 = parsed("2019", 11), parsed("2021", 12)
    single = parsed("2021", 13, single_other=True)
    frames = records_to_frames([r19, r21, single], overrides=NO_OVERRIDES)
    comp = frames["comparable"].set_index("report_id")
    t3 = frames["t3"].set_index("report_id")
    for _report, prov in (r19, single):
        rid = prov["sha256"][:16]
        for col in T3_COLUMNS:
            assert comp.loc[rid, f"t3_other_all_{col}"] == t3.loc[rid, f"t3_other_{col}"]
    rid = r21[1]["sha256"][:16]
    expected = make_report("2021", 12)["expected"]["t3"]
    for col in T3_COLUMNS:
        parts = sum(expected[k][col] for k in ("other.no_correction", "other.no_fee_paid", "other.other"))
        assert comp.loc[rid, f"t3_other_all_{col}"] == parts
        assert pd.isna(t3.loc[rid, f"t3_other_{col}"])
    denied = sum(expected[k]["total"] for k in expected if k.startswith("denied."))
    assert comp.loc[rid, "t3_denied_all_total"] == denied


def _report(template: str, t3: dict[str, float | None], t4: dict[str, float | None] | None = None) -> tuple[Report, dict]:
    cells = [Cell("t3", row, "total", value, None if value is None else str(value),
                  "missing" if value is None else "number") for row, value in t3.items()]
    cells += [Cell("t4", "", key, value, str(value), "number") for key, value in (t4 or {}).items()]
    report = Report(source=f"{template}.txt", template=template, year=2021, agency="白鹭市教育局", cells=cells)
    return report, {"source": f"{template}.txt", "sha256": f"{len(t3):x}{template}".ljust(64, "a"), "size_bytes": 1}


def test_a_derived_sum_is_null_when_a_part_is_missing_never_zero():
    item = _report("2021", {"other.no_correction": 2.0, "other.no_fee_paid": None, "other.other": 1.0,
                            "granted": 4.0})
    comp = records_to_frames([item], overrides=NO_OVERRIDES)["comparable"]
    assert pd.isna(comp.loc[0, "t3_other_all_total"]) and comp.loc[0, "t3_granted_total"] == 4.0


def test_table_four_group_sums():
    t4 = {"review.corrected": 1.0, "suit_direct.corrected": 2.0, "suit_after_review.corrected": 3.0,
          "suit_direct.total": 5.0, "suit_after_review.total": 4.0, "review.total": 1.0}
    comp = records_to_frames([_report("2019", {"granted": 1.0}, t4)], overrides=NO_OVERRIDES)["comparable"]
    assert comp.loc[0, "t4_all_corrected"] == 6.0 and comp.loc[0, "t4_suit_all_total"] == 9.0


def test_2019_t2_columns_without_a_2021_counterpart_stay_apart():
    keys = set(comparable_keys())
    assert {"t2.licensing.decisions", "t2.penalty.decisions", "t2.coercion.decisions"} <= keys
    for apart in ("t2.rules.made", "t2.rules.issued", "t2.fees.amount", "t2.fees.change", "t2.procurement.amount",
                  "t2.other_services.decisions", "t3.other.total", "t3.other.no_correction.total"):
        assert apart not in keys


# ---------------------------------------------------------------- the files


def test_the_run_writes_every_table_and_a_datapackage_that_frictionless_validates(sample_run):
    import frictionless

    names = {p.name for p in sample_run.iterdir()}
    tables = {f"{t}.{f}" for t in SCHEMAS for f in ("csv", "parquet") if (t, f) != ("cells", "csv")}  # cells: Parquet-first
    assert tables | {"codebook.csv", "datapackage.json", "run.json", "release.json", "CHANGES.md"} == names
    report = frictionless.validate(sample_run / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_the_datapackage_describes_every_column_with_units_and_allowed_values(sample_run):
    descriptor = json.loads((sample_run / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert list(resources) == list(SCHEMAS)
    for name, res in resources.items():
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        assert list(fields) == list(SCHEMAS[name])
        assert all(f["description"] for f in fields.values())
    cells = {f["name"]: f for f in resources["cells"]["schema"]["fields"]}
    assert cells["kind"]["constraints"]["enum"] == [*parsers.model.CELL_KINDS, *DATASET_KINDS]
    assert cells["template"]["constraints"]["enum"] == ["2019", "2021"]
    t2 = {f["name"]: f for f in resources["t2"]["schema"]["fields"]}
    assert t2["t2_procurement_amount"]["unit"] == "元" and t2["t2_fees_amount"]["unit"] == "元"
    assert t2["t2_procurement_amount"]["type"] == "number" and t2["t2_rules_made"]["type"] == "integer"
    assert t2["t2_rules_made"]["unit"] == "件" and "minimum" not in t2["t2_licensing_change"].get("constraints", {})
    t3 = {f["name"]: f for f in resources["t3"]["schema"]["fields"]}
    assert t3["t3_granted_total"]["unit"] == "件" and "予以公开" in t3["t3_granted_total"]["description"]
    assert t3["t3_granted_total"]["constraints"] == {"minimum": 0} and t3["t3_granted_total"]["type"] == "integer"


def test_a_datapackage_with_the_excel_csv_validates_too(tmp_path, sample_run):
    frames = read_frames(sample_run)
    write_frames(frames, tmp_path, formats=("excel", "parquet"))
    raw = (tmp_path / "cells.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfreport_id,")
    import frictionless

    assert frictionless.validate(tmp_path / "datapackage.json").valid
    back = read_frames(tmp_path, "csv")
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(back[name], frames[name])


def test_parquet_in_pandas_and_duckdb_gives_the_numbers_of_the_csv(sample_run):
    import duckdb

    csv, parquet = read_frames(sample_run, "csv"), read_frames(sample_run, "parquet")
    assert list(csv) == [n for n in SCHEMAS if n != "cells"]  # cells is Parquet-first
    for name in csv:
        pd.testing.assert_frame_equal(csv[name], parquet[name])
    con = duckdb.connect()
    for name in ("t3", "comparable", "cells"):
        duck = con.execute(f"select * from read_parquet('{sample_run / (name + '.parquet')}') order by report_id").df()
        ours = csv.get(name, parquet[name]).sort_values("report_id", kind="stable").reset_index(drop=True)
        numeric = [c for c, t in SCHEMAS[name].items() if t in ("Float64", "Int64")]
        assert duck[numeric].astype("Float64").equals(ours[numeric].astype("Float64")), name
    total = con.execute(f"select sum(t3_new_received_total) from read_parquet('{sample_run / 't3.parquet'}')")
    assert total.fetchone()[0] == csv["t3"]["t3_new_received_total"].sum()


# ---------------------------------------------------------------- validation


def test_a_dataset_that_breaks_its_schema_is_not_written_and_the_previous_one_stays(tmp_path, sample_run):
    good = read_frames(sample_run)
    write_frames(good, tmp_path, summary={"run": 1})
    before = snapshot(tmp_path)
    for table, column, value in (("cells", "kind", "guessed"), ("t3", "t3_granted_total", -3),
                                 ("reports", "template", "2018")):
        bad = {name: frame.copy() for name, frame in good.items()}
        bad[table].loc[0, column] = value
        with pytest.raises(DatasetInvalid, match=f"dataset not written, the previous one stays: {table}.{column}") as info:
            write_frames(bad, tmp_path, summary={"run": 2})
        assert "\n" not in str(info.value)
        assert snapshot(tmp_path) == before


def test_tables_that_do_not_link_up_are_refused(sample_run, tmp_path):
    bad = read_frames(sample_run)
    bad["reports"] = bad["reports"].iloc[1:]
    with pytest.raises(DatasetInvalid, match="is not in reports"):
        write_frames(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_corrupted_run_leaves_the_previous_dataset_untouched(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipeline import cli
    from pipeline.dataset import build

    clean = tmp_path / "clean"
    run_pipeline(ROOT / "data" / "raw", clean)
    before = snapshot_tree(clean)
    real = build.wide_frame

    def corrupted(items, name):
        table = real(items, name)
        if name == "t4" and len(table):
            table.loc[0, "t4_review_total"] = -1
        return table

    monkeypatch.setattr(build, "wide_frame", corrupted)
    args = ["run", "--raw", str(ROOT / "data" / "raw"), "--clean", str(clean), "--no-cache"]  # built again
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("nianbao: error: dataset not written, the previous one stays: t4.t4_review_total")
    assert result.stderr.count("\n") == 1
    assert snapshot_tree(clean) == before


def snapshot_tree(clean: Path) -> dict[str, bytes]:
    """Every file of the releases and the current pointer (not the parse cache, which keeps what it parsed)."""
    files = {p.relative_to(clean).as_posix(): p.read_bytes() for p in sorted((clean / "releases").rglob("*"))
             if p.is_file()}
    return files | {"CURRENT": (clean / "CURRENT").read_bytes(), "current": str(os.readlink(clean / "current")).encode()}


# ---------------------------------------------------------------- load


def test_load_gives_every_table_with_its_dtypes(sample_run):
    frames = load(sample_run)
    assert list(frames) == list(SCHEMAS)
    for name, frame in frames.items():
        assert {c: str(t) for c, t in frame.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype)
                                                               for c, t in SCHEMAS[name].items()}
    assert frames["crosschecks"]["ok"].dtype == "boolean"
    pd.testing.assert_frame_equal(load(sample_run, "csv")["comparable"], frames["comparable"])


def test_load_of_a_folder_without_a_dataset_is_a_named_error(tmp_path):
    with pytest.raises(DatasetMissing, match="no such folder"):
        load(tmp_path / "none")
    with pytest.raises(DatasetMissing, match="no parquet table"):
        load(tmp_path)


def test_run_with_excel_writes_the_csv_with_a_bom_and_the_same_content(tmp_path, sample_run):
    from pipeline.cli.dataset import with_excel
    from pipeline.dataset.export import FORMATS

    assert with_excel(FORMATS, True) == ("excel", "parquet") and with_excel(FORMATS, False) == FORMATS
    run_pipeline(ROOT / "data" / "raw", tmp_path, formats=with_excel(FORMATS, True))
    excel = current(tmp_path)
    csv_tables = [n for n in SCHEMAS if n != "cells"]  # cells: Parquet only beside Parquet
    assert all((excel / f"{n}.csv").read_bytes().startswith(b"\xef\xbb\xbf") for n in csv_tables)
    assert not (sample_run / "reports.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    descriptor = json.loads((excel / "datapackage.json").read_text(encoding="utf-8"))
    assert {r.get("encoding") for r in descriptor["resources"] if r["name"] != "cells"} == {"utf-8-sig"}
    for name, frame in read_frames(excel, "csv").items():
        pd.testing.assert_frame_equal(frame, read_frames(sample_run, "csv")[name])
