"""Build the dataset's tables out of core: reports arrive one at a time (already in the dataset's
order), are turned into rows in small batches, validated, and appended to the table files at once,
so memory holds one batch, never the corpus.

Each batch goes through the same row functions as `records_to_frames` (pipeline.dataset.normalize)
and the same checks (pipeline.dataset.validate), so a streamed dataset equals one built in memory.
Only `agencies` (one row per agency) and `crosschecks` (across reports) are built at the end, the
latter from the columns it needs, read back from comparable.parquet.

Formats per table (README, "The dataset"): every table as Parquet; as CSV too, except `cells`
(92% of the CSV output, the table people query rather than open), written as CSV only when CSV
is the one format asked for.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parsers.model import Report
from parsers.templates import T3_COLUMNS
from pipeline.dataset.agencies import Agency, AgencyResolver, load_overrides
from pipeline.dataset.crossyear import NARRATIVE_MEASURES, crosschecks, narrative_rows
from pipeline.dataset.datapackage import datapackage, field_spec
from pipeline.dataset.derive import comparable_frame
from pipeline.dataset.errors import DatasetInvalid, ExportError
from pipeline.dataset.normalize import Item, report_id_of, report_row, source_of
from pipeline.dataset.schema import COMPARABLE_META, REPORTS_SCHEMA, SCHEMAS, frame, frame_of

log = logging.getLogger(__name__)

PARQUET_ONLY = ("cells",)
_NARRATIVE_COLUMNS = {*COMPARABLE_META, "t3.carried_over.total",
                      *(col for cols in NARRATIVE_MEASURES.values() for col in cols)}
BATCH_DOCS = 500
BATCH_CELLS = 100_000
EXCEL = "excel"


def table_formats(name: str, formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats a table is written in: Parquet-first for the big `cells` table."""
    if name in PARQUET_ONLY and "parquet" in formats:
        return ("parquet",)
    return formats


class TableBuilder:
    """add(report, provenance) in the dataset's order; finish() writes the last tables and datapackage.json."""

    def __init__(self, out_dir: str | os.PathLike[str], formats: tuple[str, ...] = ("csv", "parquet"),
                 overrides: str | os.PathLike[str] | None = None, validate: bool = True) -> None:
        self.out = Path(out_dir)
        self.formats = formats
        self.validate = validate
        self.resolver = AgencyResolver(load_overrides(overrides))
        self.counts: dict[str, int] = {}
        self._batch: list[Item] = []
        self._batch_cells = 0
        self._writers: dict[tuple[str, str], _TableWriter] = {}
        self._ids: set[str] = set()
        self._agencies: dict[str, Agency] = {}
        self._years: dict[str, list[int]] = {}
        self._reports_per_agency: Counter[str] = Counter()
        self._narrative: list[pd.DataFrame] = []  # narrative checks of each batch (small: a few per report)

    def add(self, report: Report, prov: dict[str, Any]) -> None:
        self._batch.append((report, prov))
        self._batch_cells += 0 if report.error else len(report.cells)
        if len(self._batch) >= BATCH_DOCS or self._batch_cells >= BATCH_CELLS:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        items, self._batch, self._batch_cells = self._batch, [], 0
        agencies = {report_id_of(it): self._resolve(it) for it in items}
        read = [it for it in items if it[0].error is None]
        frames = {"reports": frame_of([report_row(it, agencies) for it in items], REPORTS_SCHEMA),
                  "cells": cells_frame(read)}
        for table in ("t2", "t3", "t4"):
            frames[table] = wide_frame(read, table)
        comparable = comparable_frame(frames)
        ids = frames["reports"].set_index("report_id")["agency_id"]
        comparable["agency_id"] = comparable["report_id"].map(ids).astype(COMPARABLE_META["agency_id"])
        frames["comparable"] = comparable
        self._check(frames)
        rows = narrative_rows(comparable[[c for c in comparable.columns if c in _NARRATIVE_COLUMNS]],
                              frames["reports"][["report_id", "narrative"]])
        self._narrative.append(frame(rows, "crosschecks"))
        for name, table in frames.items():
            self._append(name, table)

    def _resolve(self, item: Item) -> Agency | None:
        agency = self.resolver.resolve(item[0].agency, source_of(item))
        if agency is None:
            return None
        aid = agency.agency_id
        if aid not in self._agencies or agency.region.source == "override":
            self._agencies[aid] = agency
        self._reports_per_agency[aid] += 1
        years = self._years.setdefault(aid, [])
        if item[0].year is not None:
            years.append(item[0].year)
        return agency

    def _check(self, frames: dict[str, pd.DataFrame]) -> None:
        ids = frames["reports"]["report_id"].dropna()
        again = set(ids) & self._ids
        if again or ids.duplicated().any():
            raise DatasetInvalid(f"dataset not written, the previous one stays: reports.report_id: "
                                 f"{sorted(again or set(ids[ids.duplicated()]))[0]!r} is not unique")
        self._ids.update(ids)
        if self.validate:
            _validate(frames)

    def _append(self, name: str, table: pd.DataFrame) -> None:
        self.counts[name] = self.counts.get(name, 0) + len(table)
        for fmt in table_formats(name, self.formats):
            key = (name, fmt)
            if key not in self._writers:
                self._writers[key] = _TableWriter(self.out / f"{name}.{'csv' if fmt == EXCEL else fmt}", fmt)
            self._writers[key].write(table)

    def finish(self) -> dict[str, int]:
        """Write agencies, crosschecks, close every table, write datapackage.json; the row counts."""
        self.flush()
        for name in ("reports", "cells", "t2", "t3", "t4", "comparable"):
            if name not in self.counts:  # no document at all: the empty table, with its columns
                self._append(name, frame([], name))
        agencies = frame(self._agency_rows(), "agencies")
        checks = self._crosschecks()
        if self.validate:
            _validate({"agencies": agencies, "crosschecks": checks})
        self._append("agencies", agencies)
        self._append("crosschecks", checks)
        for writer in self._writers.values():
            writer.close()
        self._write_datapackage()
        return {name: self.counts[name] for name in SCHEMAS}

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def _agency_rows(self) -> list[dict[str, Any]]:
        return [{"agency_id": aid, "name": a.name, "spellings": " | ".join(sorted(self.resolver.spellings[aid])),
                 "province": a.region.province, "city": a.region.city, "county": a.region.county,
                 "region_source": a.region.source, "first_year": min(self._years[aid], default=None),
                 "last_year": max(self._years[aid], default=None), "reports": self._reports_per_agency[aid]}
                for aid, a in sorted(self._agencies.items())]

    def _crosschecks(self) -> pd.DataFrame:
        """Narrative checks were made batch by batch (they need one report); the carry-over checks
        need every report's carry columns only, read back from comparable. Sorted as crossyear sorts."""
        for (name, _fmt), writer in self._writers.items():
            if name == "comparable":
                writer.close()
        needed = {*COMPARABLE_META, *(f"t3.{row}.{c}" for row in ("carried_forward", "carried_over") for c in T3_COLUMNS)}
        comparable = _read_columns(self.out, "comparable", [c for c in SCHEMAS["comparable"] if c in needed])
        carry = crosschecks(comparable, pd.DataFrame({"report_id": pd.Series([], dtype="string"),
                                                      "narrative": pd.Series([], dtype="string")}))
        del comparable
        table = pd.concat([carry, *self._narrative], ignore_index=True) if self._narrative else carry
        self._narrative = []
        keys = pd.DataFrame({"a": table["agency_id"].fillna(""), "y": table["year"].fillna(0),
                             "c": table["check"], "r": table["report_id"]})
        order = keys.sort_values(["a", "y", "c", "r"], kind="stable").index
        return table.loc[order].reset_index(drop=True).astype(SCHEMAS["crosschecks"])

    def _write_datapackage(self) -> None:
        fmt = "parquet" if self.formats == ("parquet",) else "csv"
        package = datapackage(list(SCHEMAS), fmt, excel=EXCEL in self.formats)
        for resource in package["resources"]:
            if table_formats(resource["name"], self.formats) == ("parquet",) and fmt != "parquet":
                for key in ("mediatype", "encoding", "profile"):
                    resource.pop(key, None)
                resource |= {"path": f"{resource['name']}.parquet", "format": "parquet"}
                package["profile"] = "data-package"  # not every resource is a CSV any more
        write_json(self.out / "datapackage.json", package)


def cells_frame(items: list[Item]) -> pd.DataFrame:
    """The cells table of these reports, built column by column (the rows of normalize.cell_rows)."""
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMAS["cells"]}
    for item in items:
        report = item[0]
        n = len(report.cells)
        columns["report_id"] += [report_id_of(item)] * n
        columns["year"] += [report.year] * n
        columns["template"] += [report.template or None] * n
        for cell in report.cells:
            columns["table"].append(cell.table or None)
            columns["row_key"].append(cell.row or None)
            columns["column_key"].append(cell.col or None)
            columns["key"].append(f"{cell.table}.{cell.key}")
            columns["value"].append(None if cell.value is None else float(cell.value))
            columns["raw"].append(None if cell.raw is None else (str(cell.raw) or None))
            columns["kind"].append(cell.kind or None)
    return pd.DataFrame({name: pd.array(values, dtype=SCHEMAS["cells"][name]) for name, values in columns.items()},
                        columns=list(SCHEMAS["cells"]))


def wide_frame(items: list[Item], table: str) -> pd.DataFrame:
    """One row per report, one column per cell of `table` (the rows of normalize.wide_row), in a float matrix."""
    schema = SCHEMAS[table]
    index = {name: i for i, name in enumerate(c for c in schema if c.startswith(f"{table}."))}
    values = np.full((len(items), len(index)), np.nan)
    for row, item in enumerate(items):
        for cell in item[0].table(table):
            col = index.get(f"{table}.{cell.key}")
            if col is None:
                log.warning("%s: %s cell %r is not a canonical key; kept in cells only", source_of(item), table, cell.key)
            elif cell.value is not None:
                values[row, col] = float(cell.value)
    meta = {"report_id": [report_id_of(it) for it in items], "agency": [it[0].agency or None for it in items],
            "year": [it[0].year for it in items], "template": [it[0].template or None for it in items]}
    columns = {name: pd.array(data, dtype=schema[name]) for name, data in meta.items()}
    columns |= {name: pd.array(values[:, i], dtype=schema[name]) for name, i in index.items()}
    return pd.DataFrame(columns, columns=list(schema))


def _validate(frames: dict[str, pd.DataFrame]) -> None:
    """The checks of pipeline.dataset.validate (pandera). A batch that passes the same constraints
    checked column-wise here (`_passes`) is not run through pandera; one that fails is, for its message."""
    failing = {name: table for name, table in frames.items() if not _passes(name, table)}
    if not failing:
        return
    from pipeline.dataset.validate import table_problems  # pandera is slow to import: only when needed

    problems = [p for name, table in failing.items() for p in table_problems(name, table)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DatasetInvalid(f"dataset not written, the previous one stays: {problems[0]}{more}")


@cache
def _constraints(name: str) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    return tuple((col, str(pd.Series(dtype=dtype).dtype), field_spec(name, col).get("constraints", {}))
                 for col, dtype in SCHEMAS[name].items())


def _passes(name: str, table: pd.DataFrame) -> bool:
    """True when the table meets every constraint pandera checks (columns, order, dtypes, required,
    unique, enum, pattern as re.match, minimum, maximum; nulls pass the value checks)."""
    rules = _constraints(name)
    if list(table.columns) != [col for col, _, _ in rules]:
        return False
    for col, dtype, c in rules:
        series = table[col]
        if str(series.dtype) != dtype or (c.get("required") and series.isna().any()):
            return False
        values = series.dropna()
        if c.get("unique") and values.duplicated().any():
            return False
        if values.empty:
            continue
        if ("enum" in c and not values.isin(c["enum"]).all()) or (
                "pattern" in c and not values.str.match(c["pattern"]).all()):
            return False
        if ("minimum" in c and (values < c["minimum"]).any()) or ("maximum" in c and (values > c["maximum"]).any()):
            return False
    return True


def _read_columns(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    """Some columns of a table just written (Parquet, or CSV when that is the only format)."""
    path = folder / f"{name}.parquet"
    schema = {c: SCHEMAS[name][c] for c in columns}
    if path.exists():
        return pd.read_parquet(path, columns=columns, engine="pyarrow").astype(schema)
    return pd.read_csv(folder / f"{name}.csv", usecols=columns, dtype=schema, keep_default_na=False,
                       na_values=[""], encoding="utf-8-sig")[columns]


class _TableWriter:
    """One table file, appended batch by batch (Parquet row groups, or CSV lines)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self._parquet: pq.ParquetWriter | None = None
        self._fh: IO[bytes] | None = None
        self._closed = False

    def write(self, table: pd.DataFrame) -> None:
        try:
            if self.fmt == "parquet":
                arrow = pa.Table.from_pandas(table, preserve_index=False)
                if self._parquet is None:
                    self._parquet = pq.ParquetWriter(self.path, arrow.schema)
                self._parquet.write_table(arrow)
                return
            header = self._fh is None
            if self._fh is None:
                self._fh = open(self.path, "xb")  # noqa: SIM115 - closed in close()
            table.to_csv(self._fh, index=False, header=header, lineterminator="\n",
                         encoding="utf-8-sig" if self.fmt == EXCEL and header else "utf-8")
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._parquet is not None:
            self._parquet.close()
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
