"""`codebook.csv`: one row per column of every table of the dataset (plain data, built from the
templates and the datapackage descriptions, so it cannot drift from them).

Columns: `table`, `column` (the SQL-safe name, `t3_granted_total`), `key` (the dotted cell key kept
in `cells.key`, `t3.granted.total`; null for columns that are not a cell), `label` (the official
Chinese label), `meaning` (in English), `unit` (件, 项, 元, byte…), `type` (the datapackage type),
`template` (`2019`, `2021` or `2019 2021`: the templates that print the cell; null for other columns).
"""

from __future__ import annotations

import pandas as pd

from parsers.templates import T2_ROWS, T3_BY_KEY, TEMPLATES
from pipeline.dataset.crosswalk import T3_GROUP_SUMS, derived_parts
from pipeline.dataset.datapackage import (
    T2_COLUMN_LABELS,
    T3_COLUMN_LABELS,
    T4_GROUP_LABELS,
    T4_OUTCOME_LABELS,
    TYPES,
    field_spec,
    t3_row_label,
)
from pipeline.dataset.schema import SCHEMAS, STRING, column_keys, frame_of

CODEBOOK_FILE = "codebook.csv"
CODEBOOK_SCHEMA = {"table": STRING, "column": STRING, "key": STRING, "label": STRING, "meaning": STRING,
                   "unit": STRING, "type": STRING, "template": STRING}

T3_ROW_MEANINGS = {
    "new_received": "requests newly received this year", "carried_over": "requests carried over from last year",
    "granted": "granted in full", "partially_granted": "granted in part",
    "denied": "denied", "unable": "unable to provide", "not_processed": "not processed", "other": "other handling",
    "state_secret": "state secret", "prohibited_by_law": "disclosure prohibited by other laws",
    "security_stability": "would endanger security or stability", "third_party_rights": "third-party rights",
    "internal_affairs": "internal affairs", "process_info": "process information",
    "enforcement_files": "law-enforcement case files", "admin_query": "administrative query matter",
    "not_held": "not held by this agency", "needs_creation": "would need to be created",
    "still_unclear": "still unclear after correction", "petition": "petition/complaint, not a request",
    "duplicate": "duplicate request", "publication": "asks for a publication", "excessive": "excessive repeated requests",
    "confirmation": "asks to confirm or re-issue information", "no_correction": "applicant did not correct in time",
    "no_fee_paid": "applicant did not pay the fee", "results_total": "total handled",
    "carried_forward": "carried forward to next year", "denied_all": "denied, all reasons",
    "unable_all": "unable to provide, all reasons", "not_processed_all": "not processed, all reasons",
    "other_all": "other handling, all (2019 single row or the sum of the 2021 sub-rows)",
}
T3_COLUMN_MEANINGS = {"natural_person": "applicants: natural persons", "commercial": "applicants: businesses",
                      "research": "applicants: research institutions", "social_welfare": "applicants: non-profits",
                      "legal_service": "applicants: legal service providers", "other_org": "applicants: other bodies",
                      "total": "all applicants"}
T4_GROUP_MEANINGS = {"review": "administrative reconsideration", "suit_direct": "lawsuits without prior review",
                     "suit_after_review": "lawsuits after review", "suit_all": "all lawsuits",
                     "all": "reconsideration and lawsuits"}
T4_OUTCOME_MEANINGS = {"upheld": "upheld", "corrected": "corrected", "other": "other outcome",
                       "pending": "pending", "total": "total cases"}
T2_ROW_MEANINGS = {"rules": "rules (规章)", "normative_docs": "normative documents", "licensing": "licensing",
                   "other_services": "other public services", "penalty": "penalties", "coercion": "coercive measures",
                   "fees": "administrative fees", "procurement": "central government procurement"}
T2_COLUMN_MEANINGS = {"made": "made this year", "published": "published this year", "published_total": "published in all",
                      "prev_items": "items last year", "change": "change this year (may be negative)",
                      "decisions": "decisions this year", "items": "procurement items", "amount": "amount in yuan",
                      "issued": "issued this year", "repealed": "repealed this year", "in_force": "in force"}
META_LABELS = {"agency": "发布机构", "year": "年度", "published": "发布日期", "index_no": "索引号",
               "template": "统计表格式"}


def codebook_frame() -> pd.DataFrame:
    """Every column of every table (SCHEMAS order)."""
    rows = [codebook_row(table, column, dtype) for table, schema in SCHEMAS.items() for column, dtype in schema.items()]
    return frame_of(rows, CODEBOOK_SCHEMA)


def codebook_row(table: str, column: str, dtype: object) -> dict[str, str | None]:
    spec = field_spec(table, column)
    key = column_keys(table).get(column)
    row = {"table": table, "column": column, "key": key, "unit": spec.get("unit"), "type": TYPES[dtype],
           "label": META_LABELS.get(column), "meaning": spec["description"], "template": None}
    if key is not None:
        row |= {"label": cell_label(key), "meaning": cell_meaning(key), "template": " ".join(cell_templates(key))}
    return row


def _split(key: str) -> tuple[str, str, str]:
    table, rest = key.split(".", 1)
    if table == "t4":
        group, outcome = rest.split(".")
        return table, group, outcome
    row, col = rest.rsplit(".", 1)
    return table, row, col


def cell_label(key: str) -> str:
    """The official Chinese label: `表三 （一）予以公开 — 总计`."""
    table, row, col = _split(key)
    if table == "t3":
        return f"表三 {t3_row_label(row)} — {T3_COLUMN_LABELS[col]}"
    if table == "t4":
        return f"表四 {T4_GROUP_LABELS[row]} — {T4_OUTCOME_LABELS[col]}"
    label = next(r.label for t in TEMPLATES for r in T2_ROWS[t] if r.key == row)
    return f"表二 {label} — {T2_COLUMN_LABELS[col]}"


def cell_meaning(key: str) -> str:
    table, row, col = _split(key)
    if table == "t3":
        what = ", ".join(T3_ROW_MEANINGS[part] for part in row.split("."))
        text = f"Information requests: {what}; {T3_COLUMN_MEANINGS[col]}"
    elif table == "t4":
        text = f"{T4_GROUP_MEANINGS[row].capitalize()}: {T4_OUTCOME_MEANINGS[col]}"
    else:
        text = f"Proactive disclosure, {T2_ROW_MEANINGS[row]}: {T2_COLUMN_MEANINGS[col]}"
    if parts := derived_parts(key):
        text += f" (sum of {len(parts)} cells; null if any is null)"
    return text


def cell_templates(key: str) -> tuple[str, ...]:
    """The templates whose reports carry this cell (both, for the comparable sums)."""
    table, row, col = _split(key)
    if table == "t2":
        return tuple(t for t in TEMPLATES if any(r.key == row and col in r.columns for r in T2_ROWS[t]))
    if table == "t3" and (row in T3_GROUP_SUMS or row == "other_all"):
        return TEMPLATES
    if table == "t3":
        return T3_BY_KEY[row].templates
    return TEMPLATES  # 表四 is the same in both
