"""Publish the dataset for readers: a SQLite database for Datasette and an Excel workbook (dataset code).

    target = publish_dir("data/clean")          # the folder of the dataset load() reads (a release)
    publish(load("data/clean"), target)          # nianbao.db, nianbao.metadata.json, nianbao.xlsx

- `nianbao.db` (built with sqlite-utils): every table, primary and foreign keys (report_id ->
  reports, agency_id -> agencies), indexes on the columns readers filter by, full-text search
  (trigram: any 3 characters of Chinese text) on agency names and section texts. `reports` also
  carries the agency's region and level, the number of its sections and the document's URL where
  the crawl recorded one (`links`), so that each report links to its source and its texts.
- `nianbao.metadata.json`: Datasette metadata: titles, Chinese labels, descriptions with units,
  facets, licence, canned queries.
- `nianbao.xlsx`: sheets reports, comparable, agencies, codebook; Chinese headers, frozen header row,
  filters, integer/percent/money formats.

Counts are stored as integers (the datapackage unit says 件/项/字), money in 元 and rates as reals.
Every file is built beside its target under a temporary name and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from pipeline.dataset.datapackage import TABLE_DESCRIPTIONS, field_spec
from pipeline.dataset.errors import ExportError
from pipeline.dataset.export import replace_all, temp_path
from pipeline.dataset.schema import SCHEMAS

DB_FILE = "nianbao.db"
METADATA_FILE = "nianbao.metadata.json"
XLSX_FILE = "nianbao.xlsx"
DATABASE = "nianbao"  # Datasette names the database after the file
COUNT_UNITS = ("件", "项", "字")
LICENSE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
SOURCE = "各机关《政府信息公开工作年度报告》(政府信息公开条例 第五十条)"
TABLE_TITLES = {"reports": "报告", "comparable": "可比指标（2019/2021 模板）", "agencies": "机关", "sections": "报告正文段落",
                "crosschecks": "跨年度校验", "cells": "单元格", "t2": "表二 主动公开", "t3": "表三 依申请公开",
                "t4": "表四 行政复议、行政诉讼", "codebook": "代码表"}
LABELS = {
    "report_id": "报告编号", "agency_id": "机关编号", "agency": "机关（原文）", "year": "年度", "template": "模板",
    "source": "文件", "sha256": "SHA-256", "size_bytes": "大小（字节）", "format": "格式", "published": "发布日期",
    "index_no": "索引号", "error": "读取错误", "checks_passed": "通过的校验", "checks_failed": "未通过的校验数",
    "failed_checks": "未通过的校验", "warnings_count": "警告数", "warnings": "警告", "extra_rows": "模板外的行",
    "narrative": "正文中的数字", "name": "机关名称", "spellings": "各种写法", "province": "省", "city": "市",
    "county": "县（区）", "region_source": "地区来源", "first_year": "首个年度", "last_year": "最后年度",
    "reports": "报告数", "check": "校验", "other_report_id": "对照报告编号", "ok": "是否通过", "expected": "应为",
    "found": "实为", "detail": "说明", "table": "表", "row_key": "行", "column_key": "列", "key": "指标",
    "value": "数值", "raw": "原文", "kind": "类型", "number": "序号", "section_key": "段落类别", "title": "标题",
    "text": "正文", "characters": "字数", "previous_report_id": "上年报告编号", "similarity_previous": "与上年相似度",
    "repeats_previous": "与上年几乎相同", "processing_fee": "信息处理费（元）", "rate_granted": "予以公开比例",
    "rate_partially_granted": "部分公开比例", "rate_denied": "不予公开比例", "rate_unable": "无法提供比例",
    "rate_corrected": "纠错率", "agency_level": "机关层级", "received_change_pct": "新收申请较上年变化（%）",
    "received_rank": "新收申请同级排名", "received_rank_of": "同级机关数", "source_url": "原文链接",
    "sections": "段落数",
}
PUBLISHED_EXTRA = {  # columns the published `reports` table adds: name -> description
    "province": "省 (from the agencies table)", "city": "市 (from the agencies table)",
    "county": "县（区） (from the agencies table)", "agency_level": "机关层级 province/city/county/township",
    "sections": "Number of numbered prose sections (their texts: the sections table)",
    "source_url": "The URL the document was fetched from (the crawl manifest); null for local files",
}
INDEXES = (("agency_id",), ("year",), ("agency_id", "year"), ("province",), ("city",), ("key",), ("section_key",),
           ("check",), ("template",))
FTS = {"agencies": ("name", "spellings"), "sections": ("title", "text"), "reports": ("agency", "source")}
FACETS = {"reports": ["province", "city", "year", "template"], "comparable": ["year", "template", "agency_level"],
          "sections": ["section_key", "year", "repeats_previous"], "agencies": ["province", "city"],
          "crosschecks": ["check", "ok", "year"]}
XLSX_SHEETS = ("reports", "comparable", "agencies")


class PublishError(Exception):
    """The database or the workbook could not be written; one line."""


def publish_dir(clean_dir: str | os.PathLike[str]) -> Path:
    """The folder of the dataset that load(clean_dir) reads (its current release, where it has one)."""
    from pipeline.dataset.loader import DatasetMissing, dataset_folder

    try:
        return dataset_folder(clean_dir).resolve()
    except DatasetMissing:
        return Path(clean_dir)


def publish(frames: dict[str, pd.DataFrame], target_dir: str | os.PathLike[str],
            links: dict[str, str] | None = None) -> list[Path]:
    """Write nianbao.db, nianbao.metadata.json and nianbao.xlsx into target_dir; returns their paths.

    links: sha256 of a document -> the URL it was fetched from (for `reports.source_url`)."""
    target = Path(target_dir)
    published = published_frames(frames, links or {})
    db_path = target / DB_FILE
    temp = temp_path(db_path)
    try:
        build_database(published, temp)
        jobs = [(target / METADATA_FILE, _json_writer(datasette_metadata(published))),
                (target / XLSX_FILE, _xlsx_writer(published))]
        written = replace_all(jobs)
        os.replace(temp, db_path)
    except (OSError, ValueError, ExportError) as exc:
        raise PublishError(f"{target}: cannot publish: {' '.join(str(exc).split())}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return [db_path, *written]


# ---- the published tables -------------------------------------------------------------------


def published_frames(frames: dict[str, pd.DataFrame], links: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The dataset's tables (SCHEMAS order), `reports` with region, level, sections count and URL."""
    out = {name: frames[name] for name in SCHEMAS if name in frames}
    if "reports" in out:
        out["reports"] = reports_for_readers(frames, links)
    return out


def reports_for_readers(frames: dict[str, pd.DataFrame], links: dict[str, str]) -> pd.DataFrame:
    reports = frames["reports"].copy()
    agencies = frames.get("agencies", pd.DataFrame(columns=["agency_id", "province", "city", "county"]))
    region = agencies.set_index("agency_id")
    for col in ("province", "city", "county"):
        reports[col] = reports["agency_id"].map(region[col]).astype("string")
    levels = frames["comparable"].set_index("report_id")["agency_level"] if "agency_level" in frames.get(
        "comparable", pd.DataFrame()) else pd.Series(dtype="string")
    reports["agency_level"] = reports["report_id"].map(levels).astype("string")
    sections = frames.get("sections")
    counts = sections.groupby("report_id").size() if sections is not None else pd.Series(dtype="Int64")
    reports["sections"] = reports["report_id"].map(counts).fillna(0).astype("Int64")
    known = reports["source_url"] if "source_url" in reports else pd.Series(pd.NA, index=reports.index)
    reports["source_url"] = known.fillna(reports["sha256"].map(links)).astype("string")
    return reports


def column_spec(table: str, column: str) -> dict[str, Any]:
    """{"description", "unit"?} of a published column (the datapackage's, or this module's)."""
    if table == "reports" and column in PUBLISHED_EXTRA:
        return {"description": PUBLISHED_EXTRA[column]}
    try:
        return field_spec(table, column)
    except KeyError:
        return {"description": ""}


def label(table: str, column: str) -> str:
    """The Chinese label of a column: its own, else the official label of a template cell."""
    if column in LABELS:
        return LABELS[column]
    description = column_spec(table, column).get("description", "")
    return description.split(" (")[0] if description else column


def is_count(table: str, column: str) -> bool:
    return column_spec(table, column).get("unit") in COUNT_UNITS or column in ("received_rank", "received_rank_of")


def records(table: str, frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
    """Plain rows for SQLite: nulls as None, counts as int, booleans as 0/1."""
    counts = {c for c in frame.columns if is_count(table, c)}
    for row in frame.to_dict("records"):
        yield {k: _plain(v, k in counts) for k, v in row.items()}


def _plain(value: Any, count: bool) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if count and isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- SQLite ---------------------------------------------------------------------------------

PRIMARY_KEYS = {"reports": "report_id", "agencies": "agency_id", "comparable": "report_id", "t2": "report_id",
                "t3": "report_id", "t4": "report_id", "sections": ("report_id", "number")}
ORDER = ("agencies", "reports")  # referenced tables first


def build_database(frames: dict[str, pd.DataFrame], path: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    try:
        names = [n for n in ORDER if n in frames] + [n for n in frames if n not in ORDER]
        for name in names:
            table = db.table(name)
            table.insert_all(records(name, frames[name]), pk=PRIMARY_KEYS.get(name),
                             foreign_keys=_foreign_keys(name, frames), columns=_column_types(name, frames[name]))
            _indexes(table, frames[name])
            if name in FTS:
                table.enable_fts(FTS[name], tokenize="trigram", create_triggers=False)
        db.vacuum()
    finally:
        db.close()


def _column_types(table: str, frame: pd.DataFrame) -> dict[str, type]:
    types: dict[str, type] = {}
    for col, dtype in frame.dtypes.items():
        text = str(dtype)
        if is_count(table, str(col)) or text in ("Int64", "boolean"):
            types[str(col)] = int
        elif text == "Float64":
            types[str(col)] = float
        else:
            types[str(col)] = str
    return types


def _foreign_keys(name: str, frames: dict[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    keys = []
    columns = set(frames[name].columns)
    if name != "reports" and "report_id" in columns and "reports" in frames:
        keys.append(("report_id", "reports", "report_id"))
    if name != "agencies" and "agency_id" in columns and "agencies" in frames:
        keys.append(("agency_id", "agencies", "agency_id"))
    return keys


def _indexes(table: Any, frame: pd.DataFrame) -> None:
    pk = PRIMARY_KEYS.get(table.name)
    wanted = [("report_id",)] if pk != "report_id" and pk != ("report_id", "number") else []
    for columns in [*wanted, *INDEXES]:
        if all(c in frame.columns for c in columns):
            table.create_index(list(columns), if_not_exists=True, find_unique_name=True)


# ---- Datasette metadata ---------------------------------------------------------------------


def datasette_metadata(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    tables = {name: _table_metadata(name, frame) for name, frame in frames.items()}
    return {
        "title": "政府信息公开工作年度报告数据 nianbao",
        "description": "各级行政机关《政府信息公开工作年度报告》的表二、表三、表四（每个数字及其原文、模板勾稽关系校验）、"
                       "正文段落与上年的相似度、比例与排名。Search needs at least 3 characters (trigram).",
        "license": LICENSE[0], "license_url": LICENSE[1], "source": SOURCE,
        "databases": {DATABASE: {"tables": tables, "queries": CANNED_QUERIES}},
    }


def _table_metadata(name: str, frame: pd.DataFrame) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": f"{TABLE_TITLES.get(name, name)} {name}",
        "description": TABLE_DESCRIPTIONS.get(name, ""),
        "columns": {c: _column_text(name, c) for c in frame.columns if not _template_cell(c)},
    }
    if name in FACETS:
        meta["facets"] = [f for f in FACETS[name] if f in frame.columns]
    if name == "agencies":
        meta["label_column"] = "name"
    if name in ("reports", "comparable", "sections"):
        meta["sort_desc"] = "year"
    return meta


def _template_cell(column: str) -> bool:
    """t3.granted.total and the like: hundreds per wide table, described in the codebook sheet and the
    datapackage rather than at the top of every page."""
    return column.startswith(("t2.", "t3.", "t4.")) or column.startswith(("t2_", "t3_", "t4_"))


def _column_text(table: str, column: str) -> str:
    """中文标签（单位：件） — the English description."""
    spec = column_spec(table, column)
    unit = f"（单位：{spec['unit']}）" if spec.get("unit") else ""
    text = label(table, column)
    description = spec.get("description", "")
    return f"{text}{unit}" + (f" — {description}" if description and description != text else "")


CANNED_QUERIES = {
    "repeated_sections": {
        "title": "与上年几乎相同的段落（相似度 ≥ 90%）",
        "sql": "select s.year, a.name as agency, s.number, s.title, s.similarity_previous, s.report_id, "
               "s.previous_report_id, s.text from sections s left join agencies a on a.agency_id = s.agency_id "
               "where s.repeats_previous = 1 order by s.similarity_previous desc, s.year desc",
    },
    "report_sections": {
        "title": "一份报告的全部段落",
        "sql": "select number, title, characters, similarity_previous, processing_fee, text from sections "
               "where report_id = :report_id order by number",
    },
    "rates_by_year": {
        "title": "各年度比例（可比指标）",
        "sql": "select year, agency_level, count(*) as reports, round(avg(rate_granted), 3) as rate_granted, "
               "round(avg(rate_denied), 3) as rate_denied, round(avg(rate_corrected), 3) as rate_corrected "
               "from comparable group by year, agency_level order by year",
    },
}


# ---- Excel ----------------------------------------------------------------------------------


def codebook_rows(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """One row per column of the workbook's sheets: sheet, column, 中文标签, unit, description."""
    return [{"sheet": name, "column": col, "label": label(name, col), "unit": column_spec(name, col).get("unit"),
             "description": column_spec(name, col).get("description")}
            for name in XLSX_SHEETS if name in frames for col in frames[name].columns]


def _xlsx_writer(frames: dict[str, pd.DataFrame]) -> Any:
    def write(fh: IO[bytes]) -> None:
        workbook(frames).save(fh)
    return write


def workbook(frames: dict[str, pd.DataFrame]) -> Any:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in XLSX_SHEETS:
        if name in frames:
            _sheet(book, name, frames[name], {c: label(name, c) for c in frames[name].columns})
    codebook = pd.DataFrame(codebook_rows(frames), columns=["sheet", "column", "label", "unit", "description"])
    _sheet(book, "codebook", codebook, {"sheet": "工作表", "column": "列名", "label": "中文标签", "unit": "单位",
                                         "description": "说明"})
    return book


def _sheet(book: Any, name: str, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(name)
    ws.append(_unique(headers[c] for c in frame.columns))
    for row in records(name, frame):
        ws.append(list(row.values()))
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # text that starts with "=" stays text, never a formula
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for i, col in enumerate(frame.columns, 1):
        letter = get_column_letter(i)
        fmt = _number_format(name, str(col), str(frame[col].dtype))
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        ws.column_dimensions[letter].width = min(40, max(8, 2 * len(headers[col]) + 2))


def _unique(labels: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for text in labels:
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return out


def _number_format(table: str, column: str, dtype: str) -> str | None:
    if column.startswith("rate_"):
        return "0.0%"
    if column_spec(table, column).get("unit") == "元":
        return "#,##0.00"
    if is_count(table, column) or dtype == "Int64":
        return "#,##0" if column not in ("year", "first_year", "last_year") else "0"
    return None


def _json_writer(data: dict[str, Any]) -> Any:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def write(fh: IO[bytes]) -> None:
        fh.write(text.encode("utf-8"))
    return write
