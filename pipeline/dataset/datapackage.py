"""The Frictionless `datapackage.json` of data/clean, generated from the template knowledge.

Every column of every table (pipeline.normalize.SCHEMAS) gets a type, a description (the official
label for template cells), a unit (件 for counts of requests, documents, decisions and cases; 项 for
counts of items; 元 for money) and its allowed values (`constraints`), which pipeline.dataset.validate also
enforces with pandera on every run. Plain data: no DataFrames.
"""

from __future__ import annotations

from typing import Any

from parsers.model import CELL_KINDS
from parsers.templates import T2_ROWS, T3_BY_KEY, TEMPLATES
from pipeline.dataset.crosswalk import (
    OTHER_2021,
    RANK_COLUMNS,
    RATES,
    T3_GROUP_SUMS,
    T4_GROUP_SUMS,
    derived_parts,
)
from pipeline.dataset.schema import BOOL, DATE, FLOAT, INT, SCHEMAS, TIMESTAMP, column_keys, column_name
from pipeline.dataset.sections import SECTIONS_DESCRIPTION, SECTIONS_FIELDS
from pipeline.dataset.twins import DATASET_KINDS

T3_COLUMN_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                    "social_welfare": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他（法人或其他组织）",
                    "total": "总计"}
T4_GROUP_LABELS = {"review": "行政复议", "suit_direct": "行政诉讼·未经复议直接起诉",
                   "suit_after_review": "行政诉讼·复议后起诉", "suit_all": "行政诉讼（直接起诉 + 复议后起诉）",
                   "all": "行政复议 + 行政诉讼"}
T4_OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                     "total": "总计"}
T2_COLUMN_LABELS = {"made": "本年新制作数量", "published": "本年新公开数量", "published_total": "对外公开总数量",
                    "prev_items": "上一年项目数量", "change": "本年增/减（可为负）", "decisions": "处理决定数量",
                    "items": "采购项目数量", "amount": "金额", "issued": "本年制发件数", "repealed": "本年废止件数",
                    "in_force": "现行有效件数"}
T2_UNITS = {"amount": "元", "prev_items": "项", "change": "项", "items": "项"}
T3_GROUP_LABELS = {"denied_all": "（三）不予公开 1–8 之和", "unable_all": "（四）无法提供 1–3 之和",
                   "not_processed_all": "（五）不予处理 1–5 之和",
                   "other_all": "（六）其他处理: 2019 的单行, 或 2021 的 1–3 之和"}
TYPES = {"string": "string", INT: "integer", FLOAT: "number", BOOL: "boolean", DATE: "date", TIMESTAMP: "datetime"}
HEX16 = "^[0-9a-f]{16}$"
AGENCY_ID = "^ag-[0-9a-f]{12}$"

META_FIELDS: dict[str, dict[str, Any]] = {
    "report_id": {"description": "First 16 hex digits of the document's sha256 (stable across runs and renames)",
                  "constraints": {"required": True, "pattern": HEX16}},
    "agency": {"description": "The publishing agency as printed (发布机构, else from the title)"},
    "agency_id": {"description": "One id per agency whatever the spelling (see the agencies table)",
                  "constraints": {"pattern": AGENCY_ID}},
    "year": {"description": "The year reported on (not the year published)",
             "constraints": {"minimum": 1990, "maximum": 2100}},
    "template": {"description": "National template the tables follow: 2019 (国办公开办函〔2019〕60号) or 2021 "
                                "(国办公开办函〔2021〕30号)", "constraints": {"enum": list(TEMPLATES)}},
    "source": {"description": "The document's path under the raw folder"},
    "sha256": {"description": "sha256 of the document's bytes", "constraints": {"pattern": "^[0-9a-f]{64}$"}},
}
OTHER_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "cells": {
        "table_key": {"description": "t2 (表二), t3 (表三) or t4 (表四)", "constraints": {"enum": ["t2", "t3", "t4"]}},
        "row_key": {"description": "Canonical row key (empty for 表四)"},
        "column_key": {"description": "Canonical column key"},
        "key": {"description": "The cell's key, table.row.column (t3.granted.total); its column in the wide "
                               "tables is the same with _ for . (t3_granted_total), see codebook.csv",
                "constraints": {"required": True, "pattern": "^t[234]\\.[a-z_.]+$"}},
        "value": {"description": "The count read (件/项; 表二 本年增/减 may be negative); null for a money cell "
                                 "(see amount) and when missing, undecided or unreadable"},
        "amount": {"description": "The money read, in 元, for the money cells (t2.procurement.amount, "
                                  "t2.fees.amount); null for counts", "unit": "元"},
        "raw": {"description": "The printed text of the cell"},
        "kind": {"description": "What the printed cell was", "constraints": {"required": True, "enum": [*CELL_KINDS, *DATASET_KINDS]}},
        "page": {"description": "PDF: the page the cell's row was read from (1 = first); null for other formats",
                 "constraints": {"minimum": 1}},
        "label": {"description": "The row label as printed (its group labels first, ' / '-separated); null where "
                                 "the row had no readable label or is missing"},
        "header": {"description": "The column header printed above the cell, where the header row lines up "
                                  "with the row's cells; else null"},
    },
    "reports": {
        "size_bytes": {"description": "Size of the document", "unit": "byte", "constraints": {"minimum": 0}},
        "format": {"description": "Format sniffed from the bytes (html, text, markdown, pdf…)"},
        "published": {"description": "Publication date (生成日期/发布日期… as printed)"},
        "index_no": {"description": "索引号 of the page"},
        "agency_printed": {"description": "The 发布机构 as printed, where the agency was taken from the title instead "
                                          "(the printed one named a website, a bare office, or a fragment of the title's)"},
        "twin_of": {"description": "The report_id of the kept rendering of the same report (the HTML page and its "
                                   "PDF attachment, say): this one is out of t2, t3, t4 and comparable, its cells "
                                   "completed the kept one (pipeline.dataset.twins)",
                    "constraints": {"pattern": "^[0-9a-f]{16}$"}},
        "url": {"description": "The URL the document was fetched from (after redirects); null if not crawled"},
        "parent_url": {"description": "The page that linked it (the report page of an attachment, the listing "
                                      "page of a report page); null if not crawled"},
        "site": {"description": "The site crawled (sources file name); null if not crawled"},
        "first_fetched": {"description": "First fetch of this URL that gave these bytes (UTC)"},
        "last_fetched": {"description": "Last fetch of this URL that gave (or confirmed, 304) these bytes (UTC)"},
        "etag": {"description": "HTTP ETag of the latest of those fetches, where the server sent one"},
        "last_modified": {"description": "HTTP Last-Modified of the latest of those fetches, as sent"},
        "error": {"description": "Why the document could not be read (null when it was)"},
        "checks_passed": {"description": "Arithmetic relations that add up", "constraints": {"minimum": 0}},
        "checks_failed": {"description": "Arithmetic relations that do not add up", "constraints": {"minimum": 0}},
        "failed_checks": {"description": "The failed relations, ';'-separated (t3.balance, t3.results, t3.applicants, t4.groups)"},
        "warnings_count": {"description": "Number of warnings", "constraints": {"minimum": 0}},
        "warnings": {"description": "What was odd, ' | '-separated"},
        "extra_rows": {"description": "Rows in no template, JSON"},
        "narrative": {"description": "Numbers quoted in the prose (parsers.narrative), JSON {key: number}"},
    },
    "agencies": {
        "name": {"description": "Canonical name (the override's, else the spelling folded: NFKC, no spaces, "
                                "街道办事处 -> 街道)", "constraints": {"required": True}},
        "spellings": {"description": "Every spelling seen, ' | '-separated"},
        "province": {"description": "Province-level division, from the name, the source site or an override"},
        "city": {"description": "Prefecture-level unit (…市/州/地区/盟) at the start of the name, or an override"},
        "county": {"description": "County-level unit (…县/区/旗/市) at the start of the name, or an override"},
        "region_source": {"description": "Where the region came from", "constraints": {"enum": ["name", "site", "override"]}},
        "first_year": {"description": "First year reported on", "constraints": {"minimum": 1990, "maximum": 2100}},
        "last_year": {"description": "Last year reported on", "constraints": {"minimum": 1990, "maximum": 2100}},
        "reports": {"description": "Number of documents", "constraints": {"minimum": 0}},
    },
    "crosschecks": {
        "check_name": {"description": "carry_over (last year's 结转下年度 = this year's 上年结转, every column), "
                                 "one_report_per_year, narrative.<key> (a number in the prose = the tables), or twin (a cell two "
                                 "renderings of one report print differently)",
                  "constraints": {"required": True,
                                  "pattern": "^(carry_over|one_report_per_year|twin|narrative\\.[a-z_]+)$"}},
        "other_report_id": {"description": "The report compared with (last year's, or the one kept)",
                            "constraints": {"pattern": HEX16}},
        "ok": {"description": "true: adds up; false: does not; null: a value is null"},
        "expected": {"description": "carry_over: last year's t3.carried_forward.total; narrative: the number in the prose"},
        "found": {"description": "carry_over: this year's t3.carried_over.total; narrative: the table's value"},
        "detail": {"description": "What did not add up"},
    },
}
OTHER_FIELDS["sections"] = SECTIONS_FIELDS
OTHER_FIELDS["comparable"] = (
    {k: {"description": doc, "constraints": {"minimum": 0, "maximum": 1}} for k, (_n, _d, doc) in RATES.items()}
    | {k: {"description": doc} for k, (_dtype, doc) in RANK_COLUMNS.items()})
OTHER_FIELDS["comparable"]["agency_level"]["constraints"] = {"enum": ["province", "city", "county", "township"]}
TABLE_DESCRIPTIONS = {
    "reports": "One row per document read (or not): provenance, metadata, checks, warnings",
    "cells": "One row per cell of 表二/表三/表四 of every report read: value, printed text, kind",
    "t2": "表二 (主动公开), one row per report, one column per cell over both templates (null where absent)",
    "t3": "表三 (收到和处理政府信息公开申请), one row per report, one column per cell over both templates",
    "t4": "表四 (行政复议、行政诉讼), one row per report",
    "comparable": "Measures that mean the same under the 2019 and 2021 templates (the crosswalk), one row per report",
    "agencies": "One row per agency_id: canonical name, spellings, region",
    "crosschecks": "Checks across reports: carry-over between years, narrative numbers vs tables",
    "sections": SECTIONS_DESCRIPTION,
}
PRIMARY_KEYS = {"reports": ["report_id"], "t2": ["report_id"], "t3": ["report_id"], "t4": ["report_id"],
                "comparable": ["report_id"], "agencies": ["agency_id"], "sections": ["report_id", "number"]}


def field_spec(table: str, name: str) -> dict[str, Any]:
    """{"description", "unit"?, "constraints"?} for one column (without name and type)."""
    if name in OTHER_FIELDS.get(table, {}):
        return dict(OTHER_FIELDS[table][name])
    if name in META_FIELDS:
        spec = dict(META_FIELDS[name])
        if name in ("report_id", "agency_id") and table in PRIMARY_KEYS and PRIMARY_KEYS[table] == [name]:
            spec["constraints"] = spec["constraints"] | {"required": True, "unique": True}
        return spec
    if name in (keys := column_keys(table)):
        return cell_spec(table, keys[name])
    raise KeyError(f"{table}.{name}: no description")


def cell_spec(table: str, name: str) -> dict[str, Any]:
    """The description, unit and constraints of the column holding cell key `name` (`t3.granted.total`)."""
    tbl, rest = name.split(".", 1)
    row, col = rest.rsplit(".", 1) if tbl != "t4" or rest.count(".") else ("", rest)
    if tbl == "t2":
        description, unit = t2_label(row, col), T2_UNITS.get(col, "件")
    elif tbl == "t3":
        description, unit = f"表三 {t3_row_label(row)} — {T3_COLUMN_LABELS[col]}", "件"
    else:
        description, unit = f"表四 {T4_GROUP_LABELS[row]} — {T4_OUTCOME_LABELS[col]}", "件"
    if table == "comparable" and derived_parts(name):
        description += (" (derived: sum of " + ", ".join(column_name(p) for p in derived_parts(name))
                        + "; null if any is null)")
    spec: dict[str, Any] = {"description": description, "unit": unit}
    if col != "change":
        spec["constraints"] = {"minimum": 0}
    return spec


def t2_label(row: str, col: str) -> str:
    templates = [t for t in TEMPLATES if any(r.key == row and col in r.columns for r in T2_ROWS[t])]
    label = next(r.label for t in TEMPLATES for r in T2_ROWS[t] if r.key == row)
    unit = "（2021 印于万元，存为元）" if (row, col) == ("fees", "amount") else ""
    return f"表二 {label} — {T2_COLUMN_LABELS[col]}{unit} (template {', '.join(templates)})"


def t3_row_label(row: str) -> str:
    if row in T3_GROUP_SUMS or row == "other_all":
        return T3_GROUP_LABELS[row]
    spec = T3_BY_KEY[row]
    parent = {"denied": "（三）不予公开 ", "unable": "（四）无法提供 ", "not_processed": "（五）不予处理 ",
              "other": "（六）其他处理 "}.get(spec.parent, "")
    only = f" (template {spec.templates[0]} only)" if len(spec.templates) == 1 else ""
    return parent + spec.label + only


FOREIGN_KEYS = {  # table -> [(column, table referred to, its column)]
    **{t: [("report_id", "reports", "report_id")] for t in ("cells", "t2", "t3", "t4", "comparable")},
    "reports": [("agency_id", "agencies", "agency_id")],
    "crosschecks": [("report_id", "reports", "report_id"), ("agency_id", "agencies", "agency_id")],
}
DEFAULT_LICENCE = "CC-BY-4.0"
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("CC0 1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-By-1.0": ("Open Data Commons Attribution License 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication and License 1.0",
                 "https://opendatacommons.org/licenses/pddl/1-0/"),
}


def table_schema(name: str, present: frozenset[str] | None = None) -> dict[str, Any]:
    """The Table Schema of one table; foreign keys only to the tables `present` (all when None)."""
    fields = [{"name": col, "type": TYPES[dtype], **field_spec(name, col)} for col, dtype in SCHEMAS[name].items()]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if name in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[name]
    links = [(col, other, their) for col, other, their in FOREIGN_KEYS.get(name, [])
             if present is None or other in present]
    if links:
        schema["foreignKeys"] = [{"fields": col, "reference": {"resource": other, "fields": their}}
                                 for col, other, their in links]
    return schema


def licence(spec: str | None = None) -> dict[str, str]:
    """A `licenses` entry: a known SPDX id (CC-BY-4.0, CC0-1.0, ODbL-1.0…), a URL, or any other name."""
    spec = (spec or DEFAULT_LICENCE).strip()
    known = {k.casefold(): k for k in LICENCES}
    if spec.casefold() in known:
        name = known[spec.casefold()]
        return {"name": name, "title": LICENCES[name][0], "path": LICENCES[name][1]}
    if spec.startswith(("http://", "https://")):
        return {"path": spec, "title": spec}
    return {"name": spec, "title": spec}


def datapackage(tables: list[str], fmt: str = "csv", excel: bool = False, *, version: str | None = None,
                created: str | None = None, licence_spec: str | None = None,
                sources: list[dict[str, Any]] | None = None,
                files: dict[str, tuple[int, str]] | None = None) -> dict[str, Any]:
    """The descriptor for these tables written as `fmt` ("csv" or "parquet").

    version: the release id; created: when the dataset was built (ISO 8601 UTC); licence_spec: see
    `licence`; sources: the sites crawled ({"site", "url"}); files: resource path -> (bytes, sha256)."""
    present = frozenset(tables)
    resources = [resource(name, fmt, excel, present, (files or {}).get(f"{name}.{fmt}")) for name in tables]
    descriptor: dict[str, Any] = {
        "name": "nianbao",
        "title": "政府信息公开工作年度报告 表二、表三、表四 (nianbao)",
        "description": "Every number of 表二, 表三 and 表四 of government information-disclosure annual reports, "
                       "with the printed text, the checks of the national templates (2019, 2021), a crosswalk "
                       "between the two templates (comparable), agencies across years and cross-year checks. "
                       "Each table is also written as Parquet with the same content; codebook.csv maps every "
                       "column to its key, label, meaning and unit.",
        "profile": "tabular-data-package" if fmt == "csv" else "data-package",
    }
    if version:
        descriptor["version"] = version
    if created:
        descriptor["created"] = created
    descriptor["licenses"] = [licence(licence_spec)]
    descriptor["sources"] = package_sources(sources or [])
    descriptor["crosswalk"] = {"other_all": f"2019 t3_other = 2021 "
                                            f"{' + '.join(column_name('t3.' + k) for k in OTHER_2021)}",
                               "t4_sums": {k: list(v) for k, v in T4_GROUP_SUMS.items()}}
    descriptor["resources"] = resources
    return descriptor


def package_sources(crawled: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The sites crawled, each with the URL its crawl started from; the reports themselves, where none was."""
    if not crawled:
        return [{"title": "Documents placed in the raw folder (not crawled); reports.source names each"}]
    return [{"title": s.get("site") or s["url"], "path": s["url"]} for s in crawled]


def resource(name: str, fmt: str, excel: bool, present: frozenset[str] | None = None,
             file: tuple[int, str] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"name": name, "path": f"{name}.{fmt}", "format": fmt,
                           "description": TABLE_DESCRIPTIONS[name], "schema": table_schema(name, present)}
    if fmt == "csv":
        res |= {"mediatype": "text/csv", "encoding": "utf-8-sig" if excel else "utf-8",
                "profile": "tabular-data-resource"}
    if file is not None:
        res |= {"bytes": file[0], "hash": f"sha256:{file[1]}"}
    return res
