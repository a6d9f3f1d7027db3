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
from pipeline.dataset.schema import BOOL, FLOAT, INT, SCHEMAS
from pipeline.dataset.sections import SECTIONS_DESCRIPTION, SECTIONS_FIELDS

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
TYPES = {"string": "string", INT: "integer", FLOAT: "number", BOOL: "boolean"}
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
        "table": {"description": "t2 (表二), t3 (表三) or t4 (表四)", "constraints": {"enum": ["t2", "t3", "t4"]}},
        "row_key": {"description": "Canonical row key (empty for 表四)"},
        "column_key": {"description": "Canonical column key"},
        "key": {"description": "table.row.column, the column name in the wide tables (t3.granted.total)",
                "constraints": {"required": True, "pattern": "^t[234]\\.[a-z_.]+$"}},
        "value": {"description": "The value read: counts (件/项), money in 元; null when missing, undecided or unreadable"},
        "raw": {"description": "The printed text of the cell"},
        "kind": {"description": "What the printed cell was", "constraints": {"required": True, "enum": list(CELL_KINDS)}},
    },
    "reports": {
        "size_bytes": {"description": "Size of the document", "unit": "byte", "constraints": {"minimum": 0}},
        "format": {"description": "Format sniffed from the bytes (html, text, markdown, pdf…)"},
        "published": {"description": "Publication date, YYYY-MM-DD", "constraints": {"pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
        "index_no": {"description": "索引号 of the page"},
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
        "check": {"description": "carry_over (last year's 结转下年度 = this year's 上年结转, every column), "
                                 "one_report_per_year, or narrative.<key> (a number in the prose = the tables)",
                  "constraints": {"required": True, "pattern": "^(carry_over|one_report_per_year|narrative\\.[a-z_]+)$"}},
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
    if name.startswith(("t2.", "t3.", "t4.")):
        return cell_spec(table, name)
    raise KeyError(f"{table}.{name}: no description")


def cell_spec(table: str, name: str) -> dict[str, Any]:
    tbl, rest = name.split(".", 1)
    row, col = rest.rsplit(".", 1) if tbl != "t4" or rest.count(".") else ("", rest)
    if tbl == "t2":
        description, unit = t2_label(row, col), T2_UNITS.get(col, "件")
    elif tbl == "t3":
        description, unit = f"表三 {t3_row_label(row)} — {T3_COLUMN_LABELS[col]}", "件"
    else:
        description, unit = f"表四 {T4_GROUP_LABELS[row]} — {T4_OUTCOME_LABELS[col]}", "件"
    if table == "comparable" and derived_parts(name):
        description += " (derived: sum of " + ", ".join(derived_parts(name)) + "; null if any is null)"
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


def table_schema(name: str) -> dict[str, Any]:
    fields = [{"name": col, "type": TYPES[dtype], **field_spec(name, col)} for col, dtype in SCHEMAS[name].items()]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if name in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[name]
    return schema


def datapackage(tables: list[str], fmt: str = "csv", excel: bool = False) -> dict[str, Any]:
    """The descriptor for these tables written as `fmt` ("csv" or "parquet")."""
    resources = [resource(name, fmt, excel) for name in tables]
    return {
        "name": "nianbao",
        "title": "政府信息公开工作年度报告 表二、表三、表四 (nianbao)",
        "description": "Every number of 表二, 表三 and 表四 of government information-disclosure annual reports, "
                       "with the printed text, the checks of the national templates (2019, 2021), a crosswalk "
                       "between the two templates (comparable), agencies across years and cross-year checks. "
                       "Each table is also written as Parquet with the same content.",
        "profile": "tabular-data-package" if fmt == "csv" else "data-package",
        "crosswalk": {"other_all": f"2019 t3.other = 2021 {' + '.join('t3.' + k for k in OTHER_2021)}",
                      "t4_sums": {k: list(v) for k, v in T4_GROUP_SUMS.items()}},
        "resources": resources,
    }


def resource(name: str, fmt: str, excel: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"name": name, "path": f"{name}.{fmt}", "format": fmt,
                           "description": TABLE_DESCRIPTIONS[name], "schema": table_schema(name)}
    if fmt == "csv":
        res |= {"mediatype": "text/csv", "encoding": "utf-8-sig" if excel else "utf-8",
                "profile": "tabular-data-resource"}
    return res
