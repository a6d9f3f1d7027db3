"""Synthetic annual reports (政府信息公开工作年度报告) and the shapes real pages arrive in.

Everything here is made up: agencies, numbers and prose. The layouts follow what published reports
look like (Word tables pasted into CMS pages, text extractors, archived page text), so the parser
can be driven by shapes without copying any real document.

    report = make_report("2019", seed=3, blank_zeros=True)
    raw = SHAPES["seed_text"](report)          # bytes, as a file would hold them
    report["expected"]                          # what parse(raw) must return

`report["expected"]` holds template/year/agency/published/index_no/t2/t3/t4 exactly as the record
must carry them (blank counts read as 0, blank totals derived, inconsistent totals as printed).
Beside it: `blank_cells` (cell name -> printed marker), `derived_cells` (blank totals),
`inconsistent` (which printed total was broken), `failing_checks` (rule prefixes that must fail),
`extra_rows` (rows in no template). Cell names are `t2.rules.made`, `t3.granted.total`,
`t4.review.upheld`.
"""

from __future__ import annotations

import html as htmlmod
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from typing import Any

from parsers.templates import (
    T3_BY_KEY,
    T3_COLUMNS,
    T3_PARTS,
    T3_RESULT_PARTS,
    T4_GROUPS,
    t2_columns,
    t3_rows_for,
)

CHECK_RULES = ("t3.balance", "t3.results", "t3.applicants", "t4.groups")
T4_PARTS = ("upheld", "corrected", "other", "pending")
INCONSISTENT_KINDS = ("t4_total", "t3_row_total", "t3_results_total", "t3_new_received_total")
BLANK_MARKERS = ("", "", "", "—", "/", "-", "_", "无")

# ---- made-up agencies and wording ------------------------------------------------------------

PLACES = ("青禾县", "白鹭市", "望川县", "岚湾区", "鹤汀市", "松岚县", "云泽市", "澄溪县")
ORGANS = ("人民政府", "人民政府办公室", "数据资源局", "交通运输局", "市场监督管理局", "生态环境局", "教育局",
          "自然资源局", "卫生健康委员会", "水利局", "云溪镇人民政府", "石门街道办事处", "柳塘乡人民政府")

NOTICE = {
    "2019": "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）",
    "2021": "《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》"
            "（国办公开办函〔2021〕30号）",
}

SECTIONS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
SECTION_VARIANTS = {
    3: ("四、因政府信息公开工作被申请行政复议和提起行政诉讼情况", "四、政府信息公开行政复议与行政诉讼情况"),
    4: ("五、政府信息公开工作存在的主要问题及改进情况", "五、存在的问题及改进措施"),
}

# 表二 blocks: (block label, row keys, column keys) per template.
T2_BLOCKS = {
    "2019": (
        ("第二十条第（一）项", ("rules", "normative_docs"), ("made", "published", "published_total")),
        ("第二十条第（五）项", ("licensing", "other_services"), ("prev_items", "change", "decisions")),
        ("第二十条第（六）项", ("penalty", "coercion"), ("prev_items", "change", "decisions")),
        ("第二十条第（八）项", ("fees",), ("prev_items", "change")),
        ("第二十条第（九）项", ("procurement",), ("items", "amount")),
    ),
    "2021": (
        ("第二十条第（一）项", ("rules", "normative_docs"), ("issued", "repealed", "in_force")),
        ("第二十条第（五）项", ("licensing",), ("decisions",)),
        ("第二十条第（六）项", ("penalty", "coercion"), ("decisions",)),
        ("第二十条第（八）项", ("fees",), ("amount",)),
    ),
}
T2_ROW_LABELS = {
    "2019": {"rules": "规章", "normative_docs": "规范性文件", "licensing": "行政许可",
             "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "coercion": "行政强制",
             "fees": "行政事业性收费", "procurement": "政府集中采购"},
    "2021": {"rules": "规章", "normative_docs": "行政规范性文件", "licensing": "行政许可", "penalty": "行政处罚",
             "coercion": "行政强制", "fees": "行政事业性收费"},
}
T2_COL_LABELS = {
    "2019": {"made": "本年新\n制作数量", "published": "本年新\n公开数量", "published_total": "对外公开总数量",
             "prev_items": "上一年项目数量", "change": "本年增/减", "decisions": "处理决定数量",
             "items": "采购项目数量", "amount": "采购总金额"},
    "2021": {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
             "decisions": "本年处理决定数量", "amount": "本年收费金额（单位：万元）"},
}
EXTRA_ROW_LABEL = "其他主动公开文件"

T3_TOP_LEFT = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_COL_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                 "social_welfare": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他",
                 "total": "总计"}
T3_GROUP_LABELS = {"results": "三、本年度办理结果", "denied": "（三）不予公开", "unable": "（四）无法提供",
                   "not_processed": "（五）不予处理", "other": "（六）其他处理"}
T4_OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                     "total": "总计"}

# How often each result row takes an application (relative weights).
RESULT_WEIGHTS = {
    "granted": 30, "partially_granted": 6, "denied.state_secret": 0.3, "denied.prohibited_by_law": 0.4,
    "denied.security_stability": 0.3, "denied.third_party_rights": 1.2, "denied.internal_affairs": 1.0,
    "denied.process_info": 1.5, "denied.enforcement_files": 0.6, "denied.admin_query": 1.0,
    "unable.not_held": 18, "unable.needs_creation": 3, "unable.still_unclear": 2.5,
    "not_processed.petition": 2.5, "not_processed.duplicate": 2.5, "not_processed.publication": 0.4,
    "not_processed.excessive": 0.4, "not_processed.confirmation": 0.8, "other": 3,
    "other.no_correction": 2, "other.no_fee_paid": 0.3, "other.other": 2,
}


# ---- the report ------------------------------------------------------------------------------


def make_report(template: str, seed: int, **opts: Any) -> dict[str, Any]:
    """A random, internally consistent report of `template` ("2019" or "2021").

    opts: zero_heavy, inconsistent (True or one of INCONSISTENT_KINDS), blank_zeros, blank_totals,
    label_variants, extra_row, single_other (2021 report printing one （六） row), year.
    The same (template, seed) gives the same numbers whatever the presentation options.
    """
    if template not in ("2019", "2021"):
        raise ValueError(f"unknown template {template!r}")
    known = {"zero_heavy", "inconsistent", "blank_zeros", "blank_totals", "label_variants", "extra_row",
             "single_other", "year", "t4_full_header", "t4_blank", "t2_units", "blank_rows", "prose_pipe"}
    if unknown := set(opts) - known:
        raise TypeError(f"unknown options: {sorted(unknown)}")
    zero_heavy = bool(opts.get("zero_heavy"))
    rng = random.Random(f"report:{template}:{seed}:{zero_heavy}")
    years = (2019, 2020) if template == "2019" else (2021, 2022, 2023, 2024, 2025)
    drawn = rng.choice(years)
    year = opts.get("year") or drawn
    place, organ = rng.choice(PLACES), rng.choice(ORGANS)
    agency = place + organ
    pub = (year + 1, rng.randint(1, 3), rng.randint(1, 28))
    published = f"{pub[0]}-{pub[1]:02d}-{pub[2]:02d}"
    single_other = bool(opts.get("single_other")) and template == "2021"
    rows = t3_rows_for(template, single_other)

    report: dict[str, Any] = {
        "template": template, "seed": seed, "opts": dict(opts), "year": year, "agency": agency,
        "place": place, "published": published, "pub_time": f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}",
        "index_no": _index_no(rng, pub[0]), "t3_rows": rows,
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "blank_cells": {}, "derived_cells": [], "inconsistent": None, "failing_checks": [], "extra_rows": [],
    }
    t2_values, t2_printed = _t2(rng, template, zero_heavy)
    t3 = _t3(rng, rows, zero_heavy)
    t4 = _t4(rng, zero_heavy)
    report["true"] = {"t2": dict(t2_values), "t3": {r: dict(c) for r, c in t3.items()}, "t4": dict(t4)}
    report["narrative"] = _narrative(rng, report, t3)

    # What is printed in each cell, and what the record must hold.
    printed = {"t2": t2_printed, "t3": {r: {c: str(v) for c, v in cols.items()} for r, cols in t3.items()},
               "t4": {k: str(v) for k, v in t4.items()}}
    expected = {"t2": dict(t2_values), "t3": {r: dict(c) for r, c in t3.items()}, "t4": dict(t4)}
    report["printed"], report["expected"] = printed, expected

    if opts.get("inconsistent"):
        _break_total(report, random.Random(f"inconsistent:{template}:{seed}"), opts["inconsistent"])
    if opts.get("blank_totals"):
        _blank_totals(report, random.Random(f"blank_totals:{template}:{seed}"))
    if opts.get("blank_zeros"):
        _blank_zeros(report, random.Random(f"blank_zeros:{template}:{seed}"))
    report["labels"] = _labels(report, random.Random(f"labels:{template}:{seed}"), bool(opts.get("label_variants")))
    _presentation(report, random.Random(f"presentation:{template}:{seed}"), opts)
    report["layout"] = _layout(report, random.Random(f"layout:{template}:{seed}"))
    if opts.get("extra_row"):
        cols = T2_BLOCKS[template][0][2]
        values = [str(rng.randint(0, 60)) for _ in cols]
        report["extra_rows"].append({"table": "t2", "label": EXTRA_ROW_LABEL, "after": "normative_docs",
                                     "values": values})

    report["failing_checks"] = failing_checks(expected["t3"], expected["t4"], rows)
    report["expected"] = {"template": template, "year": year, "agency": agency, "published": published,
                          "index_no": report["index_no"], **expected}
    return report


def _presentation(report: dict[str, Any], rng: random.Random, opts: dict[str, Any]) -> None:
    """Printing habits real reports show: blank 表四 cells (all, or a row's first ones), empty 表三
    rows, count units in 表二 (`2笔`), a title with a pipe quoted in the prose."""
    printed, exp = report["printed"], report["expected"]
    if opts.get("t4_blank") == "all":
        for key in list(printed["t4"]):
            exp["t4"][key] = report["true"]["t4"][key] = 0
            printed["t4"][key] = ""
            report["blank_cells"][f"t4.{key}"] = ""
    elif opts.get("t4_blank") == "lead":
        for key in ("review.upheld", "review.corrected"):
            exp["t4"][key] = report["true"]["t4"][key] = 0
            printed["t4"][key] = ""
            report["blank_cells"][f"t4.{key}"] = ""
        total = sum(exp["t4"][f"review.{p}"] for p in T4_PARTS)
        exp["t4"]["review.total"] = report["true"]["t4"]["review.total"] = total
        printed["t4"]["review.total"] = str(total)
    if opts.get("blank_rows"):
        for row, cols in exp["t3"].items():
            if not any(cols.values()):
                for col in cols:
                    printed["t3"][row][col] = ""
                    report["blank_cells"][f"t3.{row}.{col}"] = ""
    if opts.get("t2_units") and report["template"] == "2019" and exp["t2"]["procurement.items"]:
        printed["t2"]["procurement.items"] += rng.choice(("笔", "个", "项"))
    if opts.get("prose_pipe"):
        report["narrative"]["general"].append(
            f"（六）政策解读。转发《{report['place']}关于做好政务公开工作的通知|政策解读》，"
            "及时回应社会关切。")


def _index_no(rng: random.Random, pub_year: int) -> str:
    n = rng.randint(1, 9999)
    form = rng.randrange(4)
    if form == 0:
        code = f"11{rng.randint(100000, 999999)}MB{rng.randint(0, 9999999):07d}{rng.choice('0123456789X')}"
        return f"{code}/{pub_year}-{n:05d}"
    if form == 1:
        return f"{rng.randint(100000, 999999)}/{pub_year}-{n:05d}"
    if form == 2:
        return f"{rng.randint(1000000, 9999999)}-{rng.randint(0, 9)}/{pub_year}-{n:05d}"
    return f"QH{rng.randint(100, 999)}-{pub_year}-{n:06d}"


def _maybe(rng: random.Random, p_zero: float, lo: int, hi: int) -> int:
    return 0 if rng.random() < p_zero else rng.randint(lo, hi)


def _t2(rng: random.Random, template: str, zero_heavy: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """表二 values (money in 元) and their printed text."""
    z = 0.85 if zero_heavy else 0.3
    values: dict[str, Any] = {}
    printed: dict[str, str] = {}

    def put(key: str, value: Any, text: str | None = None) -> None:
        values[key] = value
        printed[key] = str(value) if text is None else text

    if template == "2019":
        plus = rng.random() < 0.3  # this report prints positive changes as +2
        for row in ("rules", "normative_docs"):
            made = _maybe(rng, z if row == "normative_docs" else 0.8, 1, 40)
            published = made if rng.random() < 0.7 else rng.randint(0, made)
            put(f"{row}.made", made)
            put(f"{row}.published", published)
            put(f"{row}.published_total", published + _maybe(rng, z, 1, 400))
        for row in ("licensing", "other_services", "penalty", "coercion", "fees"):
            prev = _maybe(rng, z, 1, 600 if row != "fees" else 20)
            change = 0 if rng.random() < 0.4 else rng.randint(-min(prev, 9), 30 if row != "fees" else 3)
            put(f"{row}.prev_items", prev)
            put(f"{row}.change", change, f"+{change}" if plus and change > 0 else str(change))
            if row != "fees":
                put(f"{row}.decisions", _maybe(rng, z, 1, 5000))
        items = _maybe(rng, z, 1, 200)
        put("procurement.items", items)
        if items == 0:
            put("procurement.amount", 0, "0")
        elif rng.random() < 0.5:
            yuan = rng.randint(1000, 99999999)  # whole yuan, printed in 万元 with 4 decimals
            text = _decimal_text(Decimal(yuan) / Decimal(10000))
            put("procurement.amount", round(float(text) * 10000, 6), text + "万元")
        else:
            cents = rng.randint(10 ** 5, 10 ** 10)
            if rng.random() < 0.6:
                cents -= cents % 100  # whole yuan
            text = _decimal_text(Decimal(cents) / Decimal(100))
            put("procurement.amount", float(text), text + "元")
    else:
        for row in ("rules", "normative_docs"):
            issued = _maybe(rng, z if row == "normative_docs" else 0.8, 1, 80)
            put(f"{row}.issued", issued)
            put(f"{row}.repealed", _maybe(rng, 0.6, 1, 20))
            put(f"{row}.in_force", issued + _maybe(rng, z, 1, 700))
        for row in ("licensing", "penalty", "coercion"):
            put(f"{row}.decisions", _maybe(rng, z, 1, 5000))
        if rng.random() < (0.9 if zero_heavy else 0.4):
            put("fees.amount", 0, "0")
        else:
            digits = rng.choice((2, 3, 4, 6))
            cents = rng.randint(1, 10 ** rng.randint(5, 10))
            wan = (Decimal(cents) / Decimal(10 ** 6)).quantize(Decimal(1).scaleb(-digits))
            text = _decimal_text(wan if wan > 0 else Decimal("0.092"))
            put("fees.amount", round(float(text) * 10000, 6), text)
    assert list(values) == t2_columns(template)
    return values, printed


def _decimal_text(d: Decimal) -> str:
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _t3(rng: random.Random, rows: list[str], zero_heavy: bool) -> dict[str, dict[str, int]]:
    result_rows = [k for k in rows if k in T3_RESULT_PARTS]
    weights = [RESULT_WEIGHTS[k] for k in result_rows]
    t3 = {k: dict.fromkeys(T3_COLUMNS, 0) for k in rows}
    for col in T3_PARTS:
        if zero_heavy:
            n = rng.choice((0, 0, 1, 2, 3)) if col == "natural_person" else 0
        elif col == "natural_person":
            n = rng.choice((rng.randint(0, 9), rng.randint(10, 99), rng.randint(100, 400)))
        elif col == "commercial":
            n = _maybe(rng, 0.5, 1, 40)
        elif col in ("research", "social_welfare"):
            n = _maybe(rng, 0.85, 1, 3)
        else:
            n = _maybe(rng, 0.6, 1, 12)
        for key in rng.choices(result_rows, weights, k=n) if n else ():
            t3[key][col] += 1
        forward = 0 if zero_heavy or rng.random() < 0.5 else rng.randint(0, max(1, n // 8))
        over = 0 if zero_heavy or rng.random() < 0.5 else rng.randint(0, min(6, n + forward))
        t3["results_total"][col] = n
        t3["carried_forward"][col] = forward
        t3["carried_over"][col] = over
        t3["new_received"][col] = n + forward - over
    for cols in t3.values():
        cols["total"] = sum(cols[c] for c in T3_PARTS)
    return t3


def _t4(rng: random.Random, zero_heavy: bool) -> dict[str, int]:
    t4: dict[str, int] = {}
    for g in T4_GROUPS:
        for p in T4_PARTS:
            if zero_heavy:
                t4[f"{g}.{p}"] = 1 if (g, p) == ("review", "upheld") and rng.random() < 0.3 else 0
            else:
                t4[f"{g}.{p}"] = _maybe(rng, 0.55, 1, 12 if p != "pending" else 4)
        t4[f"{g}.total"] = sum(t4[f"{g}.{p}"] for p in T4_PARTS)
    return t4


def failing_checks(t3: dict[str, dict[str, Any]], t4: dict[str, Any], rows: list[str]) -> list[str]:
    """The rule prefixes (CHECK_RULES) that the printed numbers fail."""
    failed = []
    parts = [k for k in rows if k in T3_RESULT_PARTS]
    if any(t3["new_received"][c] + t3["carried_over"][c] != t3["results_total"][c] + t3["carried_forward"][c]
           for c in T3_COLUMNS):
        failed.append("t3.balance")
    if any(sum(t3[r][c] for r in parts) != t3["results_total"][c] for c in T3_COLUMNS):
        failed.append("t3.results")
    if any(sum(cols[c] for c in T3_PARTS) != cols["total"] for cols in t3.values()):
        failed.append("t3.applicants")
    if any(sum(t4[f"{g}.{p}"] for p in T4_PARTS) != t4[f"{g}.total"] for g in T4_GROUPS):
        failed.append("t4.groups")
    return failed


def _set_printed(report: dict[str, Any], name: str, value: int, text: str | None = None) -> None:
    table, key = name.split(".", 1)
    if table == "t3":
        row, col = key.rsplit(".", 1)
        report["printed"]["t3"][row][col] = str(value) if text is None else text
        report["expected"]["t3"][row][col] = value
    else:
        report["printed"][table][key] = str(value) if text is None else text
        report["expected"][table][key] = value


def _break_total(report: dict[str, Any], rng: random.Random, kind: Any) -> None:
    """Print one total that does not add up (the record must keep it and fail the check)."""
    kind = rng.choice(INCONSISTENT_KINDS) if kind is True else kind
    if kind not in INCONSISTENT_KINDS:
        raise ValueError(f"inconsistent must be True or one of {INCONSISTENT_KINDS}")
    exp = report["expected"]
    delta = rng.choice((1, 2, 3, 10))
    if kind == "t4_total":
        g = rng.choice(T4_GROUPS)
        name = f"t4.{g}.total"
        was = exp["t4"][f"{g}.total"]
        _set_printed(report, name, was + delta)
        changed = [name]
    elif kind == "t3_row_total":
        row = rng.choice([k for k in report["t3_rows"] if k in T3_RESULT_PARTS])
        name, was = f"t3.{row}.total", exp["t3"][row]["total"]
        _set_printed(report, name, was + delta)
        changed = [name]
    elif kind == "t3_results_total":
        col = rng.choice(T3_PARTS)
        name, was = f"t3.results_total.{col}", exp["t3"]["results_total"][col]
        _set_printed(report, name, was + delta)
        _set_printed(report, "t3.results_total.total", exp["t3"]["results_total"]["total"] + delta)
        changed = [name, "t3.results_total.total"]
    else:
        name, was = "t3.new_received.total", exp["t3"]["new_received"]["total"]
        _set_printed(report, name, was + delta)
        changed = [name]
    report["inconsistent"] = {"kind": kind, "cell": name, "printed": was + delta, "consistent": was,
                              "changed": changed}


def _blank_totals(report: dict[str, Any], rng: random.Random) -> None:
    """Leave some non-zero totals unprinted: the record derives them from their parts."""
    broken = set((report["inconsistent"] or {}).get("changed", ()))
    exp = report["expected"]
    rows = [k for k in report["t3_rows"] if k in T3_RESULT_PARTS or k == "new_received"]
    t3_names = [f"t3.{r}.total" for r in rows if exp["t3"][r]["total"] and f"t3.{r}.total" not in broken]
    t4_names = [f"t4.{g}.total" for g in T4_GROUPS if exp["t4"][f"{g}.total"] and f"t4.{g}.total" not in broken]
    if not t3_names and not t4_names:  # a report with nothing to leave out: give it something
        exp["t4"]["review.upheld"] += 1
        exp["t4"]["review.total"] += 1
        report["printed"]["t4"]["review.upheld"] = str(exp["t4"]["review.upheld"])
        report["printed"]["t4"]["review.total"] = str(exp["t4"]["review.total"])
        report["true"]["t4"].update({k: exp["t4"][k] for k in ("review.upheld", "review.total")})
        t4_names = ["t4.review.total"]
    chosen = rng.sample(t3_names, min(2, len(t3_names))) + rng.sample(t4_names, min(1, len(t4_names)))
    for name in chosen:
        table, key = name.split(".", 1)
        if table == "t3":
            row = key.rsplit(".", 1)[0]
            report["printed"]["t3"][row]["total"] = ""
        else:
            report["printed"]["t4"][key] = ""
        report["derived_cells"].append(name)


def _blank_zeros(report: dict[str, Any], rng: random.Random) -> None:
    """Print some zero cells as blank, a dash or 无 (all read as 0). A report keeps one habit
    (all blank, all `/`…) or, now and then, mixes them."""
    markers = rng.choice((("",), ("",), ("—",), ("/",), ("无",), ("", "-"), BLANK_MARKERS))
    share = rng.choice((0.4, 0.7, 1.0))
    printed = report["printed"]
    cells = [("t2", printed["t2"], k, f"t2.{k}") for k in printed["t2"]]
    cells += [("t3", cols, c, f"t3.{r}.{c}") for r, cols in printed["t3"].items() for c in cols]
    cells += [("t4", printed["t4"], k, f"t4.{k}") for k in printed["t4"]]
    for _, holder, key, name in cells:
        if holder[key] == "0" and rng.random() < share:
            holder[key] = marker = rng.choice(markers)
            report["blank_cells"][name] = marker


# ---- labels -----------------------------------------------------------------------------------


def _labels(report: dict[str, Any], rng: random.Random, variants: bool) -> dict[str, Any]:
    """Every label the tables print; with variants, the deviations real reports show."""
    template, year = report["template"], report["year"]
    labels: dict[str, Any] = {
        "sections": list(SECTIONS),
        "t2_blocks": [b[0] for b in T2_BLOCKS[template]],
        "t2_info": "信息内容",
        "t2_rows": dict(T2_ROW_LABELS[template]),
        "t2_cols": dict(T2_COL_LABELS[template]),
        "t3_top_left": T3_TOP_LEFT,
        "t3_applicant": "申请人情况",
        "t3_org": "法人或其他组织",
        "t3_cols": dict(T3_COL_LABELS),
        "t3_groups": dict(T3_GROUP_LABELS),
        "t3_rows": {k: T3_BY_KEY[k].label for k in report["t3_rows"]},
        "t4_groups": {"review": "行政复议", "suit": "行政诉讼", "suit_direct": "未经复议直接起诉",
                      "suit_after_review": "复议后起诉"},
        "t4_outcomes": dict(T4_OUTCOME_LABELS),
    }
    if not variants:
        return labels
    half = rng.random() < 0.6  # (三) instead of （三）
    dot = rng.choice(("、", "．", "、"))

    def brackets(text: str) -> str:
        return text.replace("（", "(").replace("）", ")") if half else text

    rows = labels["t3_rows"]
    for key, text in rows.items():
        spec = T3_BY_KEY[key]
        if spec.number[:1].isdigit() and rng.random() < 0.8:
            text = spec.number[0] + dot + text[2:]
        elif spec.number.startswith("（"):
            text = brackets(text)
        rows[key] = text
    rows["new_received"] = rows["new_received"].replace("一、", "一、 ", 1)
    rows["denied.security_stability"] = rows["denied.security_stability"].replace("“", '"').replace("”", '"')
    rows["partially_granted"] = rows["partially_granted"].replace("（区分", "\n（区分").replace("(区分", "\n(区分")
    for key in ("other.no_correction", "other.no_fee_paid"):
        if key in rows and rng.random() < 0.7:
            rows[key] = rows[key].replace("、行政机关", "，行政机关")
    labels["t3_groups"] = {k: brackets(v) for k, v in labels["t3_groups"].items()}
    labels["t3_groups"]["denied"] = labels["t3_groups"]["denied"].replace("不予公开", " 不予公开")
    labels["t3_groups"]["results"] = "三、本年度\n办理结果"
    cols = labels["t3_cols"]
    cols.update(commercial="商业 企业", research="科研\n机构", social_welfare="社会公益\n组织",
                legal_service="法律服务\n机构")
    labels["t4_outcomes"].update(upheld="结果\n维持", corrected="结果\n纠正", pending="尚未\n审结")
    labels["t2_blocks"] = [brackets(b) for b in labels["t2_blocks"]]
    labels["t2_rows"]["rules"] = "规章(设区的市、自治州人民政府应提供相关数据)"
    if template == "2021":
        labels["t2_rows"]["normative_docs"] = "规范性文件"
    else:
        labels["t2_cols"]["prev_items"] = f"上一年项目数量(指{year - 1}年事项数)"
        labels["t2_cols"]["change"] = f"本年增/减(指{year}年增加或减少的事项数,减用负值表示,如-8)"
    labels["sections"][3] = rng.choice(SECTION_VARIANTS[3])
    labels["sections"][4] = rng.choice(SECTION_VARIANTS[4])
    return labels


def _layout(report: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Grid choices of the Word tables: 表二 width (4 like most pages, 5 with a merged column)."""
    return {"t2_width": rng.choice((4, 5)), "t2_quirk": rng.random() < 0.5, "plain_td": rng.random() < 0.4}


# ---- prose -------------------------------------------------------------------------------------


def _narrative(rng: random.Random, report: dict[str, Any], t3: dict[str, dict[str, int]]) -> dict[str, Any]:
    agency, year, template = report["agency"], report["year"], report["template"]
    site = f"{report['place']}人民政府门户网站"
    intro = (f"本报告依据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{NOTICE[template]}要求，"
             f"由{agency}编制。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
             f"政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
             f"本年度报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在{site}"
             f"“政府信息公开”专栏下载。如对本报告有疑问，请与{agency}办公室联系（电话：0000-{rng.randint(1000000, 9999999)}）。")
    posts = rng.randint(40, 3000)
    general = [
        f"{year}年，{agency}坚持以公开为常态、不公开为例外，围绕中心工作，持续深化政务公开，"
        f"不断提升政府信息公开工作的规范化、标准化水平。",
        f"（一）主动公开。全年通过{site}主动公开政府信息{posts}条，其中政策解读{rng.randint(1, 40)}篇。",
        f"（二）依申请公开。全年共收到政府信息公开申请{t3['new_received']['total']}件，"
        f"上年结转{t3['carried_over']['total']}件，均在法定期限内答复。",
        "（三）政府信息管理。健全信息发布审核制度，落实“三审”要求，定期清理过期信息。",
        "（四）平台建设。优化网站栏目设置，完善政务新媒体管理，提升信息检索便利度。",
        "（五）监督保障。将政务公开纳入年度绩效考核，开展专题培训，强化责任落实。",
    ]
    problems = [
        "政务公开工作仍存在一些不足：一是政策解读形式不够丰富；二是基层政务公开标准化规范化建设有待加强。",
        "下一步，我们将进一步完善工作机制，丰富解读形式，加强业务培训，不断提高政府信息公开工作质量。",
    ]
    if template == "2021":
        other = [rng.choice(("本年度未发出收费通知，未收取信息处理费。",
                             f"本年度发出收费通知0件，收取信息处理费0元。{agency}无其他需要报告的事项。"))]
    else:
        other = ["无。"]
    return {"intro": intro, "general": general, "problems": problems, "other": other}


# ---- tables as Word builds them ------------------------------------------------------------------


@dataclass
class TCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"  # "label", "header" or "value"
    name: str = ""  # a value cell's full name (`t3.granted.total`); "" for extra rows and labels


def _spans(total: int, k: int, quirk: bool = False) -> list[int]:
    if k == 1:
        return [total]
    base, extra = divmod(total, k)
    spans = [base] * k
    for i in range(extra):
        spans[(k // 2 + i) % k] += 1  # the middle cell takes the slack, like the Word tables
    if quirk and spans != sorted(spans, reverse=True):
        spans = sorted(spans, reverse=True)
    return spans


def build_tables(report: dict[str, Any]) -> list[tuple[str, list[list[TCell]]]]:
    """表二, 表三, 表四 as rows of physical cells with their spans."""
    return [("t2", _t2_table(report)), ("t3", _t3_table(report)), ("t4", _t4_table(report))]


def _t2_table(report: dict[str, Any]) -> list[list[TCell]]:
    template, labels, layout = report["template"], report["labels"], report["layout"]
    printed = report["printed"]["t2"]
    width = layout["t2_width"]
    rows: list[list[TCell]] = []
    for (_, keys, cols), block in zip(T2_BLOCKS[template], labels["t2_blocks"], strict=True):
        rows.append([TCell(block, colspan=width, kind="header")])
        head = _spans(width - 1, len(cols))
        rows.append([TCell(labels["t2_info"], kind="header")]
                    + [TCell(labels["t2_cols"][c], colspan=s, kind="header") for c, s in zip(cols, head, strict=True)])
        for key in keys:
            texts = [printed[f"{key}.{c}"] for c in cols]
            quirk = layout["t2_quirk"] and all(t.strip() for t in texts)  # spans differ from the header's
            spans = _spans(width - 1, len(cols), quirk=quirk)
            rows.append([TCell(labels["t2_rows"][key])]
                        + [TCell(t, colspan=s, kind="value", name=f"t2.{key}.{c}")
                           for t, s, c in zip(texts, spans, cols, strict=True)])
            for extra in report["extra_rows"]:
                if extra["after"] == key:
                    rows.append([TCell(extra["label"])]
                                + [TCell(v, colspan=s, kind="value") for v, s in zip(extra["values"], head, strict=True)])
    return rows


def _t3_table(report: dict[str, Any]) -> list[list[TCell]]:
    labels, printed, keys = report["labels"], report["printed"]["t3"], report["t3_rows"]
    cols = labels["t3_cols"]
    rows: list[list[TCell]] = [
        [TCell(labels["t3_top_left"], rowspan=3, colspan=3, kind="header"),
         TCell(labels["t3_applicant"], colspan=7, kind="header")],
        [TCell(cols["natural_person"], rowspan=2, kind="header"), TCell(labels["t3_org"], colspan=5, kind="header"),
         TCell(cols["total"], rowspan=2, kind="header")],
        [TCell(cols[c], kind="header") for c in T3_PARTS[1:]],
    ]
    results = [k for k in keys if k in T3_RESULT_PARTS or k == "results_total"]
    groups: dict[str, list[str]] = {}
    for k in keys:
        parent = T3_BY_KEY[k].parent
        if parent in ("denied", "unable", "not_processed", "other"):
            groups.setdefault(parent, []).append(k)
    for key in keys:
        cells: list[TCell] = []
        parent = T3_BY_KEY[key].parent
        label = labels["t3_rows"][key]
        if key == results[0]:
            cells.append(TCell(labels["t3_groups"]["results"], rowspan=len(results)))
        if not parent:
            cells.append(TCell(label, colspan=3))
        elif parent == "results":
            cells.append(TCell(label, colspan=2))
        else:
            if key == groups[parent][0]:
                cells.append(TCell(labels["t3_groups"][parent], rowspan=len(groups[parent])))
            cells.append(TCell(label))
        cells += [TCell(printed[key][c], kind="value", name=f"t3.{key}.{c}") for c in T3_COLUMNS]
        rows.append(cells)
    return rows


def _t4_table(report: dict[str, Any]) -> list[list[TCell]]:
    g, o, printed = report["labels"]["t4_groups"], report["labels"]["t4_outcomes"], report["printed"]["t4"]
    outcomes = (*T4_PARTS, "total")
    values = [TCell(printed[f"{grp}.{x}"], kind="value", name=f"t4.{grp}.{x}") for grp in T4_GROUPS for x in outcomes]
    if report["opts"].get("t4_full_header"):  # 行政复议 spans two header rows: all 15 outcomes on one row
        return [
            [TCell(g["review"], rowspan=2, colspan=5, kind="header"), TCell(g["suit"], colspan=10, kind="header")],
            [TCell(g["suit_direct"], colspan=5, kind="header"), TCell(g["suit_after_review"], colspan=5, kind="header")],
            [TCell(o[x], kind="header") for x in outcomes] * 3,
            values,
        ]
    return [
        [TCell(g["review"], colspan=5, kind="header"), TCell(g["suit"], colspan=10, kind="header")],
        [TCell(o[x], rowspan=2, kind="header") for x in outcomes]
        + [TCell(g["suit_direct"], colspan=5, kind="header"), TCell(g["suit_after_review"], colspan=5, kind="header")],
        [TCell(o[x], kind="header") for x in outcomes] * 2,
        values,
    ]


def expand_grid(rows: list[list[TCell]]) -> list[list[tuple[TCell, bool] | None]]:
    """The table as a full grid: (cell, is_origin) at every covered position."""
    grid: list[list[tuple[TCell, bool] | None]] = []
    for r, row in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        c = 0
        for cell in row:
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            for dr in range(cell.rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                while len(line) < c + cell.colspan:
                    line.append(None)
                for dc in range(cell.colspan):
                    line[c + dc] = (cell, dr == 0 and dc == 0)
            c += cell.colspan
    width = max(len(line) for line in grid)
    for line in grid:
        line.extend([None] * (width - len(line)))
    return grid


def grid_width(rows: list[list[TCell]]) -> int:
    return len(expand_grid(rows)[0])


# ---- the document ------------------------------------------------------------------------------


def _blocks(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """The document in reading order: ("heading"|"para"|"table", payload)."""
    n, sections = report["narrative"], report["labels"]["sections"]
    tables = dict(build_tables(report))
    suffix = "（表）" if report["template"] == "2019" and report["seed"] % 2 else ""
    return [
        ("para", n["intro"]),
        ("heading", sections[0]), *(("para", p) for p in n["general"]),
        ("heading", sections[1] + suffix), ("table", ("t2", tables["t2"])),
        ("heading", sections[2] + suffix), ("table", ("t3", tables["t3"])),
        ("heading", sections[3] + suffix), ("table", ("t4", tables["t4"])),
        ("heading", sections[4]), *(("para", p) for p in n["problems"]),
        ("heading", sections[5]), *(("para", p) for p in n["other"]),
    ]


def _meta_pairs(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [("索引号", report["index_no"]), ("主题分类", ""), ("发布机构", report["agency"]),
            ("生成日期", report["published"]), ("文件编号", ""), ("有效性", "有效"),
            ("公开范围", "面向全社会"), ("公开方式", "主动公开")]


def _flat(text: str, br: str = " ") -> str:
    return text.replace("\n", br)


# ---- renderers ----------------------------------------------------------------------------------

_TD_STYLE = ("border:solid windowtext 1.0pt;border-top:none;padding:0cm 5.4pt 0cm 5.4pt")
_P_STYLE = "text-align:center;line-height:20.0pt;margin:0pt"
_SPAN_STYLE = "font-size:12.0pt;font-family:仿宋_GB2312"


def _runs(text: str, rng: random.Random) -> str:
    """Text as Word writes it: one or more <span> runs, sometimes nested, <br> for line breaks."""
    parts = []
    for i, line in enumerate(text.split("\n")):
        if i:
            parts.append(f'<span style="{_SPAN_STYLE}"><br></span>')
        if len(line) > 3 and rng.random() < 0.5:
            cut = rng.randint(1, len(line) - 1)
            head, tail = htmlmod.escape(line[:cut], quote=False), htmlmod.escape(line[cut:], quote=False)
            if rng.random() < 0.5:
                parts.append(f'<span style="{_SPAN_STYLE}"><span style="font-family:仿宋_GB2312">{head}</span>'
                             f"{tail}</span>")
            else:
                parts.append(f'<span style="{_SPAN_STYLE}">{head}</span><span style="{_SPAN_STYLE}">{tail}</span>')
        else:
            parts.append(f'<span style="{_SPAN_STYLE}">{htmlmod.escape(line, quote=False)}</span>')
    return "".join(parts)


def _td(cell: TCell, rng: random.Random, plain: bool) -> str:
    attrs = f' width="{60 * cell.colspan}" valign="center"'
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    style = f' style="{_TD_STYLE}"'
    if cell.kind == "value":
        if cell.text == "":
            inner = rng.choice(("&nbsp;", f'<p style="{_P_STYLE}"><span style="{_SPAN_STYLE}">&nbsp;</span></p>',
                                f'<p style="{_P_STYLE}"><span style="{_SPAN_STYLE}"></span></p>'))
        elif plain:
            inner = htmlmod.escape(cell.text, quote=False)
        else:
            inner = f'<p style="{_P_STYLE}"><span style="{_SPAN_STYLE}">{htmlmod.escape(cell.text, quote=False)}</span></p>'
    else:
        align = "center" if cell.kind == "header" else "left"
        inner = f'<p style="text-align:{align};line-height:20.0pt;margin:0pt">{_runs(cell.text, rng)}</p>'
    return f"<td{attrs}{style}>{inner}</td>"


def render_html(report: dict[str, Any], encoding: str = "utf-8", meta: str = "auto") -> bytes:
    """A CMS page with a Word-pasted body. encoding "utf-8" or "gbk"; meta "auto" (utf-8 / gb2312),
    "none" (no charset declared) or a charset to declare whatever the bytes are."""
    rng = random.Random(f"html:{report['template']}:{report['seed']}")
    declared = {"auto": "utf-8" if encoding == "utf-8" else "gb2312", "none": None}.get(meta, meta)
    head = ['<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
            '<html xmlns="http://www.w3.org/1999/xhtml">', "<head>"]
    if declared:
        head.append(f'<meta http-equiv="Content-Type" content="text/html; charset={declared}" />')
    site = f"{report['place']}人民政府门户网站"
    head += [f'<meta name="ArticleTitle" content="{report["title"]}" />',
             f'<meta name="PubDate" content="{report["published"]} {report["pub_time"]}" />',
             f"<title>{report['title']}_政府信息公开年报_{site}</title>", "</head>", "<body>",
             '<div class="header"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>']
    pairs = _meta_pairs(report)
    label_html = {"索引号": "索<span>&nbsp;</span>引<span>&nbsp;</span>号：", "有效性": "有&nbsp;效&nbsp;性："}
    meta_rows = []
    for i in range(0, len(pairs), 2):
        cells = []
        for k, v in pairs[i:i + 2]:
            cells.append(f'<td class="xxgk-name">{label_html.get(k, k + "：")}</td>')
            cells.append(f'<td class="xxgk-value">{htmlmod.escape(v, quote=False)}</td>')
        meta_rows.append("<tr>" + "".join(cells) + "</tr>")
    body = ['<div class="xxgk-head"><table class="xxgk-table" width="100%">' + "".join(meta_rows) + "</table></div>",
            f'<h1 class="article-title">{report["title"]}</h1>',
            '<div class="TRS_Editor"><div class="Section0">']
    plain = report["layout"]["plain_td"]
    for kind, payload in _blocks(report):
        if kind == "heading":
            body.append(f'<p style="text-indent:32pt;line-height:28pt"><strong><span style="font-family:黑体;'
                        f'font-size:16pt">{htmlmod.escape(payload, quote=False)}</span></strong></p>')
        elif kind == "para":
            body.append(f'<p style="text-indent:32pt;line-height:28pt"><span style="font-family:仿宋_GB2312;'
                        f'font-size:16pt">{htmlmod.escape(payload, quote=False)}</span></p>')
        else:
            _, rows = payload
            trs = []
            for row in rows:
                trs.append('<tr style="height:28.0pt">' + "".join(_td(c, rng, plain) for c in row) + "</tr>")
            body.append('<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="590" '
                        'style="border-collapse:collapse;border:none"><tbody>' + "\n".join(trs) + "</tbody></table>")
            body.append('<p style="text-indent:32pt">&nbsp;</p>')
    body += ["</div></div>", '<div class="footer">主办单位：' + site + "</div>", "</body>", "</html>"]
    text = "\n".join(head + body)
    return text.encode(encoding, errors="xmlcharrefreplace")


def _seed_meta_lines(report: dict[str, Any]) -> list[str]:
    pairs = _meta_pairs(report)
    lines = []
    for i in range(0, len(pairs), 2):
        cells = [c for k, v in pairs[i:i + 2] for c in (k + ":", v) if c]  # empty cells are dropped…
        tokens = [c + " |" for c in cells]
        if len(cells) < 4:
            tokens.append("|" * (4 - len(cells)))  # …and made up for at the end of the line
        lines.append(" ".join(tokens))
    return lines


def render_seed_text(report: dict[str, Any]) -> bytes:
    """The seed's shape: header lines `索引号: | X | 主题分类: | |`, then one cell per line `cell |`,
    a line of `|` for each grid cell the row lacks (none after a table's last row). A blank cell is
    the &nbsp; it held (`\\xa0|`)."""
    lines = _seed_meta_lines(report)
    for kind, payload in _blocks(report):
        if kind != "table":
            lines.append(_flat(payload))
            continue
        _, rows = payload
        width = grid_width(rows)
        for i, row in enumerate(rows):
            for cell in row:
                text = _flat(cell.text)
                lines.append(f"{text} |" if text else "\u00a0|")
            if i < len(rows) - 1 and width - len(row) > 0:
                lines.append("|" * (width - len(row)))
    return ("\n".join(lines)).encode("utf-8")


def _pipe_meta_lines(report: dict[str, Any], lead: str = "") -> list[str]:
    pairs = _meta_pairs(report)
    return [lead + " | ".join(c for k, v in pairs[i:i + 2] for c in (k + "：", v)) + " |"
            for i in range(0, len(pairs), 2)]


def render_row_lines(report: dict[str, Any]) -> bytes:
    """One row per line: `a | b | c |` (the cells each row really has)."""
    lines = _pipe_meta_lines(report) + [report["title"]]
    for kind, payload in _blocks(report):
        if kind != "table":
            lines.append(_flat(payload))
            continue
        for row in payload[1]:
            lines.append(" | ".join(_flat(c.text) for c in row) + " |")
    return ("\n".join(lines)).encode("utf-8")


def render_expanded(report: dict[str, Any]) -> bytes:
    """A web-text extractor's rows: every span expanded into empty cells, `| a |  |  | b |`."""
    lines = _pipe_meta_lines(report, "| ") + ["", report["title"], ""]
    for kind, payload in _blocks(report):
        if kind != "table":
            lines += [_flat(payload), ""]
            continue
        for line in expand_grid(payload[1]):
            texts = [_flat(slot[0].text) if slot and slot[1] else "" for slot in line]
            lines.append("| " + " | ".join(texts) + " |")
        lines.append("")
    return ("\n".join(lines)).encode("utf-8")


def render_markdown(report: dict[str, Any]) -> bytes:
    """Markdown: `# title`, `## ` section headings, `| a | b |` rows with a rule after each table's first row."""
    pairs = _meta_pairs(report)
    lines = [f"# {report['title']}", "", "| " + " | ".join(f"{k}：{v}" for k, v in pairs[:4]) + " |",
             "|" + "---|" * 4, "| " + " | ".join(f"{k}：{v}" for k, v in pairs[4:]) + " |", ""]
    for kind, payload in _blocks(report):
        if kind == "heading":
            lines += [f"## {payload}", ""]
        elif kind == "para":
            lines += [payload, ""]
        else:
            rows = payload[1]
            for i, row in enumerate(rows):
                lines.append("| " + " | ".join(_flat(c.text) for c in row) + " |")
                if i == 0:
                    lines.append("|" + "---|" * len(row))
            lines.append("")
    return ("\n".join(lines)).encode("utf-8")


def _glued_table(rows: list[list[TCell]], rng: random.Random, runs: dict[str, str], name: str,
                 spaced: bool) -> str:
    out = []
    for row in rows:
        labels = [_flat(c.text, "") for c in row if c.kind != "value"]
        values = [c for c in row if c.kind == "value"]
        if not values:
            out.append("".join(labels))
            continue
        style = rng.random() if spaced else rng.random() * 0.7 + (0.3 if rng.random() < 0.1 else 0)
        seps = []
        for _ in values[1:]:
            if style < 0.65:
                seps.append("")
            elif style < 0.85:
                seps.append(" ")
            else:
                seps.append(rng.choice(("", " ")))
        run = values[0].text + "".join(s + v.text for s, v in zip(seps, values[1:], strict=True))
        if values[0].name:  # t2.rules, t3.granted, t4 (extra rows have no name)
            runs["t4" if name == "t4" else values[0].name.rsplit(".", 1)[0]] = run
        lead = " " if rng.random() < 0.15 else ""
        out.append("".join(labels) + lead + run)
    return "".join(out)


def _glued(report: dict[str, Any]) -> tuple[str, dict[str, str]]:
    rng = random.Random(f"glued:{report['template']}:{report['seed']}")
    runs: dict[str, str] = {}
    spaced = rng.random() < 0.4  # many rows space-separated, else nearly all glued
    pieces = [f"当前位置：首页政务公开政府信息公开年报 {report['title']} 来源：{report['agency']} "
              f"时间：{report['published']} {report['pub_time']} 【字体：大 中 小】 打印 "]
    for kind, payload in _blocks(report):
        if kind == "table":
            name, rows = payload
            pieces.append(_glued_table(rows, rng, runs, name, spaced))
        else:
            pieces.append(_flat(payload, "") + (" " if rng.random() < 0.2 else ""))
    pieces.append(" 附件下载")
    return "".join(pieces), runs


def glued_runs(report: dict[str, Any]) -> dict[str, str]:
    """The value run of every row of the glued rendering: `t2.rules`, `t3.granted`, `t4` -> `000`…"""
    return _glued(report)[1]


def render_glued(report: dict[str, Any]) -> bytes:
    """Archived page text: a few header lines, a marker, then the whole body on ONE line with the
    table cells run together (`行政许可0494246`), some rows space-separated (`8 0 0 0 0 0 8`)."""
    body, _ = _glued(report)
    url_date = report["published"].replace("-", "")
    header = [f"标题: {report['title']}", f"发布时间: {report['published']} {report['pub_time']}", "文号: ",
              f"发布机构: {report['agency']}", f"索引号: {report['index_no']}", "栏目: 政府信息公开年报",
              f"原文链接: https://www.example.gov.cn/zwgk/xxgknb/{url_date[:6]}/t{url_date}_{report['seed'] + 1000}.htm",
              "==================== 正文 ====================", body]
    return ("\n".join(header)).encode("utf-8")


def render_script(report: dict[str, Any]) -> bytes:
    """A CMS page that draws the article in the browser: the visible body is an empty <div>, the
    report's HTML sits in a script string, as a JSON value (`window._CONFIG = {DETAIL: {content:
    "…"}}`, `\\uXXXX` and `<\\/td>` escapes) or a JS literal (`let content = "…"`, `\\"` escapes)."""
    import json
    import re as _re

    page = render_html(report).decode("utf-8")
    body = page[page.index('<div class="xxgk-head">'): page.rindex('<div class="footer">')]
    head = page[: page.index("<body>")]
    if report["seed"] % 2:
        literal = json.dumps({"DETAIL": {"title": report["title"], "content": body,
                                         "files": [{"name": "附件", "url": "/files/nb.pdf"}]}})
        literal = literal.replace("</", "<\\/")
        script = f"window._CONFIG = {literal};"
    else:
        escaped = body.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        escaped = _re.sub("</", "<\\\\/", escaped)
        script = f'let content = "{escaped}";\nlet pdf = "/files/nb.docx";'
    return (f"{head}<body><div class=\"header\">{report['title']}</div><div id=\"content\"></div>"
            f"<script>{script}\ndocument.getElementById('content').innerHTML = content;</script>"
            "</body></html>").encode()


SHAPES = {
    "html": render_html,
    "html_gbk": partial(render_html, encoding="gbk"),  # GBK bytes, <meta charset=gb2312>
    "html_gbk_nometa": partial(render_html, encoding="gbk", meta="none"),
    "html_gbk_as_utf8": partial(render_html, encoding="gbk", meta="utf-8"),  # declared utf-8, GBK bytes
    "seed_text": render_seed_text,
    "row_lines": render_row_lines,
    "expanded": render_expanded,
    "markdown": render_markdown,
    "glued": render_glued,
    "script": render_script,
}


# ---- what the arithmetic can decide in glued runs --------------------------------------------------


def count_readings(run: str, groups: tuple[int, ...], cap: int = 2) -> int:
    """How many ways a glued run of counts splits into cells (no leading zeros; a space is a sure
    boundary) such that in each group of `groups` cells the last is the sum of the others.
    Capped at `cap`. 表三 row: groups=(7,); 表四: (5, 5, 5)."""
    tokens = run.split()
    s = "".join(tokens)
    if not s.isdigit():
        return cap
    cuts, pos = set(), 0
    for t in tokens[:-1]:
        pos += len(t)
        cuts.add(pos)
    n = len(s)

    def ok(i: int, j: int) -> bool:
        return (j - i == 1 or s[i] != "0") and j - i <= 9 and not any(i < b < j for b in cuts)

    @cache
    def split_sum(i: int, j: int, k: int, target: int) -> int:
        if k == 0:
            return 1 if i == j and target == 0 else 0
        count = 0
        for e in range(i + 1, j - k + 2):
            if not ok(i, e):  # a leading zero, a sure boundary or too long: so are all longer pieces
                break
            v = int(s[i:e])
            if v > target:
                break
            count += split_sum(e, j, k - 1, target - v)
            if count >= cap:
                return cap
        return count

    @cache
    def group(i: int, j: int, k: int) -> int:
        count = 0
        for t in range(i + k - 1, j):
            if ok(t, j):
                count += split_sum(i, t, k - 1, int(s[t:j]))
                if count >= cap:
                    return cap
        return count

    @cache
    def ways(i: int, g: int) -> int:
        if g == len(groups):
            return 1 if i == n else 0
        count = 0
        for e in range(i + groups[g], n + 1):
            c = group(i, e, groups[g])
            if c:
                count += c * ways(e, g + 1)
                if count >= cap:
                    return cap
        return count

    return ways(0, 0)
