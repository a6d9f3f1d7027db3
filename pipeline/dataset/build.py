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
from collections.abc import Callable
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
from pipeline.dataset.codebook import CODEBOOK_FILE, codebook_frame
from pipeline.dataset.crosswalk import RANK_COLUMNS, RATES
from pipeline.dataset.crossyear import NARRATIVE_MEASURES, crosschecks, narrative_rows
from pipeline.dataset.datapackage import datapackage, field_spec
from pipeline.dataset.derive import comparable_frame
from pipeline.dataset.errors import DatasetInvalid, ExportError
from pipeline.dataset.export import file_digest
from pipeline.dataset.normalize import Item, count_value, document_label, report_id_of, report_row, source_of
from pipeline.dataset.rates import add_rates
from pipeline.dataset.schema import (
    COMPARABLE_META,
    REPORTS_SCHEMA,
    SCHEMAS,
    column_name,
    frame,
    frame_of,
    is_money,
    wide_columns,
)
from pipeline.dataset.sections import sections_of
from pipeline.dataset.twins import Settlement

log = logging.getLogger(__name__)

PARQUET_ONLY = ("cells",)
_NARRATIVE_COLUMNS = {*COMPARABLE_META, "t3_carried_over_total",
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
    """add(report, provenance) in the dataset's order; finish() writes the last tables, codebook.csv
    and datapackage.json.

    package: the datapackage's release fields (version, created, licence_spec, sources);
    load(report_id) and previous (report_id -> the same agency's report of the year before): each
    report's sections are compared with that report's;
    settlement: what twins and last year's reports decided (pipeline.dataset.twins): twins point at
    the report kept (`reports.twin_of`) and stay out of the per-report tables."""

    def __init__(self, out_dir: str | os.PathLike[str], formats: tuple[str, ...] = ("csv", "parquet"),
                 overrides: str | os.PathLike[str] | None = None, validate: bool = True, *,
                 package: dict[str, Any] | None = None, load: Callable[[str], Report] | None = None,
                 settlement: Settlement | None = None, previous: dict[str, str] | None = None) -> None:
        self.out = Path(out_dir)
        self.formats = formats
        self.validate = validate
        self.package = package or {}
        self.load = load
        self.settlement = settlement or Settlement()
        self.previous = previous or {}
        self._recent: dict[str, Report] = {}  # the last _RECENT reports added, for their sections
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
        self._kept: list[tuple[str, str | None, int | None]] = []  # (report_id, agency_id, year) of reports read
        self._comparable = _TableWriter(self.out / _COMPARABLE_PARTS, "parquet")  # rates are added at the end

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
        twin_of = self.settlement.twin_of
        rows = [report_row(it, agencies) | {"twin_of": twin_of.get(report_id_of(it))} for it in items]
        read = [it for it in items if it[0].error is None]
        kept = [it for it in read if report_id_of(it) not in twin_of]
        self._kept += [(report_id_of(it), _aid(agencies[report_id_of(it)]), it[0].year) for it in kept]
        frames = {"reports": frame_of(rows, REPORTS_SCHEMA), "cells": cells_frame(read)}
        for table in ("t2", "t3", "t4"):
            frames[table] = wide_frame(kept, table)
        comparable = comparable_frame(frames)
        ids = frames["reports"].set_index("report_id")["agency_id"]
        comparable["agency_id"] = comparable["report_id"].map(ids).astype(COMPARABLE_META["agency_id"])
        self._check(frames)
        narrative = narrative_rows(comparable[[c for c in comparable.columns if c in _NARRATIVE_COLUMNS]],
                                   frames["reports"][["report_id", "narrative"]])
        self._narrative.append(frame(narrative, "crosschecks"))
        for name, table in frames.items():
            self._append(name, table)
        self._comparable.write(comparable)
        self._append("sections", frame(self._section_rows(kept, agencies), "sections"))

    def _section_rows(self, kept: list[Item], agencies: dict[str, Agency | None]) -> list[dict[str, Any]]:
        rows = []
        for item in kept:
            rid = report_id_of(item)
            before = self.previous.get(rid) if self.load is not None else None
            rows += sections_of(rid, item[0], _aid(agencies[rid]), item[0].year,
                                (before, self._recent.get(before) or self.load(before)) if before else None)
            self._recent[rid] = item[0]  # reports come by agency, then year: last year's is usually here
            if len(self._recent) > _RECENT:
                self._recent.pop(next(iter(self._recent)))
        return rows

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
        """Write comparable (with its rates), agencies, crosschecks and sections, close every table,
        write codebook.csv and datapackage.json; the row counts."""
        self.flush()
        for name in ("reports", "cells", "t2", "t3", "t4"):
            if name not in self.counts:  # no document at all: the empty table, with its columns
                self._append(name, frame([], name))
        agencies = frame(self._agency_rows(), "agencies")
        self._write_comparable(agencies)
        checks = self._crosschecks()
        if self.validate:
            _validate({"agencies": agencies, "crosschecks": checks})
        self._append("agencies", agencies)
        self._append("crosschecks", checks)
        if "sections" not in self.counts:
            self._append("sections", frame([], "sections"))
        for writer in self._writers.values():
            writer.close()
        self._write_codebook()
        self._write_datapackage()
        return {name: self.counts.get(name, 0) for name in SCHEMAS}

    def abort(self) -> None:
        self._comparable.close()
        for writer in self._writers.values():
            writer.close()

    def _agency_rows(self) -> list[dict[str, Any]]:
        return [{"agency_id": aid, "name": a.name, "spellings": " | ".join(sorted(self.resolver.spellings[aid])),
                 "province": a.region.province, "city": a.region.city, "county": a.region.county,
                 "region_source": a.region.source, "first_year": min(self._years[aid], default=None),
                 "last_year": max(self._years[aid], default=None), "reports": self._reports_per_agency[aid]}
                for aid, a in sorted(self._agencies.items())]

    def _write_comparable(self, agencies: pd.DataFrame) -> None:
        """The comparable rows of every batch, with the rates, changes and ranks (which need every
        report: computed from the few columns they read), written in order."""
        self._comparable.close()
        parts = self.out / _COMPARABLE_PARTS
        rated = _rates(parts, agencies) if parts.exists() else None
        if rated is None:
            self._append("comparable", frame([], "comparable"))
        else:
            for batch in pq.ParquetFile(parts).iter_batches(batch_size=BATCH_DOCS):
                table = batch.to_pandas().drop(columns=list(rated.columns), errors="ignore")
                table = table.join(rated, on="report_id")[list(SCHEMAS["comparable"])]
                self._append("comparable", table.astype(SCHEMAS["comparable"]))
        self._crosscheck_columns = _read_parts(parts, _CARRY_COLUMNS) if parts.exists() else None
        parts.unlink(missing_ok=True)

    def _crosschecks(self) -> pd.DataFrame:
        """Narrative checks were made batch by batch (they need one report); the carry-over checks
        need every report's carry columns only; the twin checks come from the settlement."""
        comparable = self._crosscheck_columns
        if comparable is None:
            comparable = frame([], "comparable")[_CARRY_COLUMNS]
        carry = crosschecks(comparable, pd.DataFrame({"report_id": pd.Series([], dtype="string"),
                                                      "narrative": pd.Series([], dtype="string")}))
        self._crosscheck_columns = None
        agency_of = {rid: aid for rid, aid, _year in self._kept}
        twins = frame([row | {"agency_id": agency_of.get(row["report_id"])} for row in self.settlement.crosschecks],
                      "crosschecks")
        parts = [carry, *self._narrative, twins]
        table = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else carry
        self._narrative = []
        keys = pd.DataFrame({"a": table["agency_id"].fillna(""), "y": table["year"].fillna(0),
                             "c": table["check_name"], "r": table["report_id"]})
        order = keys.sort_values(["a", "y", "c", "r"], kind="stable").index
        return table.loc[order].reset_index(drop=True).astype(SCHEMAS["crosschecks"])

    def _write_codebook(self) -> None:
        fmt = EXCEL if EXCEL in self.formats else "csv"
        writer = _TableWriter(self.out / CODEBOOK_FILE, fmt)
        writer.write(codebook_frame())
        writer.close()

    def _write_datapackage(self) -> None:
        fmt = "parquet" if self.formats == ("parquet",) else "csv"
        files = {p.name: file_digest(p) for p in self.out.iterdir() if p.suffix in (".csv", ".parquet")}
        package = datapackage(list(SCHEMAS), fmt, excel=EXCEL in self.formats, files=files, **self.package)
        for resource in package["resources"]:
            if table_formats(resource["name"], self.formats) == ("parquet",) and fmt != "parquet":
                for key in ("mediatype", "encoding", "profile", "dialect"):
                    resource.pop(key, None)
                path = f"{resource['name']}.parquet"
                resource.pop("bytes", None)
                resource.pop("hash", None)  # frictionless cannot count a Parquet file's bytes: kept aside
                resource |= {"path": path, "format": "parquet", "file_bytes": files[path][0],
                             "file_sha256": files[path][1]}
                package["profile"] = "data-package"  # not every resource is a CSV any more
        write_json(self.out / "datapackage.json", package)


_COMPARABLE_PARTS = ".comparable.parts.parquet"
_RECENT = 64
_CARRY_COLUMNS = [*COMPARABLE_META, *(f"t3_{row}_{c}" for row in ("carried_forward", "carried_over") for c in T3_COLUMNS)]
_RATE_OUTPUTS = [c for c in SCHEMAS["comparable"] if c in RATES or c in RANK_COLUMNS]


def _aid(agency: Agency | None) -> str | None:
    return agency.agency_id if agency is not None else None


def _rates(parts: Path, agencies: pd.DataFrame) -> pd.DataFrame | None:
    """report_id -> the rate, change and rank columns of comparable, from the columns they read."""
    inputs = {column_name(k) for num, parts_, _doc in RATES.values() for k in (num, *(p.lstrip("-") for p in parts_))}
    inputs.add(column_name("t3.new_received.total"))
    columns = [c for c in SCHEMAS["comparable"] if c in inputs or c in COMPARABLE_META]
    base = _read_parts(parts, columns)
    if base.empty:
        return None
    rated = add_rates(base, agencies)
    return rated.set_index("report_id")[_RATE_OUTPUTS]


def _read_parts(parts: Path, columns: list[str]) -> pd.DataFrame:
    """Some columns of the comparable rows written so far."""
    schema = {c: SCHEMAS["comparable"][c] for c in columns}
    return pd.read_parquet(parts, columns=columns, engine="pyarrow").astype(schema)


def cells_frame(items: list[Item]) -> pd.DataFrame:
    """The cells table of these reports, built column by column (the rows of normalize.cell_rows)."""
    cells = [cell for item in items for cell in item[0].cells]
    keys = [f"{c.table}.{c.key}" for c in cells]
    money = [is_money(k) for k in keys]
    columns: dict[str, list[Any]] = {
        "report_id": [rid for item in items for rid in [report_id_of(item)] * len(item[0].cells)],
        "year": [y for item in items for y in [item[0].year] * len(item[0].cells)],
        "template": [t for item in items for t in [item[0].template or None] * len(item[0].cells)],
        "table_key": [c.table or None for c in cells],
        "row_key": [c.row or None for c in cells],
        "column_key": [c.col or None for c in cells],
        "key": keys,
        "value": [None if m else count_value(c.value) for c, m in zip(cells, money, strict=True)],
        "amount": [float(c.value) if m and c.value is not None else None for c, m in zip(cells, money, strict=True)],
        "raw": [None if c.raw is None else (str(c.raw) or None) for c in cells],
        "kind": [c.kind or None for c in cells],
        "page": [c.page for c in cells],
        "label": [c.label or None for c in cells],
        "header": [c.header or None for c in cells],
    }
    return pd.DataFrame({name: pd.array(columns[name], dtype=dtype) for name, dtype in SCHEMAS["cells"].items()},
                        columns=list(SCHEMAS["cells"]))


def wide_frame(items: list[Item], table: str) -> pd.DataFrame:
    """One row per report, one column per cell of `table` (the rows of normalize.wide_row), in a float matrix."""
    schema = SCHEMAS[table]
    by_key = {key: column for column, key in wide_columns(table).items()}
    index = {column: i for i, column in enumerate(by_key.values())}
    values = np.full((len(items), len(index)), np.nan)
    for row, item in enumerate(items):
        for cell in item[0].table(table):
            column = by_key.get(f"{table}.{cell.key}")
            if column is None:
                log.warning("%s: %s cell %r is not a canonical key; kept in cells only", document_label(item), table,
                            cell.key)
            elif cell.value is not None:
                values[row, index[column]] = float(cell.value)
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
