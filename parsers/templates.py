"""What the two national templates (2019 and 2021) contain, keyed by the dataset's canonical keys.

2019 = the format of 国办公开办函〔2019〕60号 (reports for 2019 and 2020);
2021 = the revised format of 国办公开办函〔2021〕30号 (reports for 2021 on).
Each row carries the distinctive part of its official label (`core`), matched on normalized text,
so that spacing, brackets and numbering variants all reach the same key.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATES = ("2019", "2021")

T3_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total")
T3_PARTS = T3_COLUMNS[:-1]

T4_GROUPS = ("review", "suit_direct", "suit_after_review")
T4_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
T4_COLUMNS = tuple(f"{g}.{o}" for g in T4_GROUPS for o in T4_OUTCOMES)


@dataclass(frozen=True)
class RowSpec:
    key: str
    label: str  # the official label
    core: str  # distinctive text that identifies the row in a normalized label
    number: str = ""  # the printed numbering ("1", "（一）", "一、"), matched optionally
    parent: str = ""  # the key of the group row, for sub-rows
    templates: tuple[str, ...] = TEMPLATES


def _t3(key, number, core, label, parent="", templates=TEMPLATES) -> RowSpec:
    return RowSpec(key, label, core, number, parent, templates)


T3_ROWS: tuple[RowSpec, ...] = (
    _t3("new_received", "一、", "本年新收", "一、本年新收政府信息公开申请数量"),
    _t3("carried_over", "二、", "上年结转", "二、上年结转政府信息公开申请数量"),
    _t3("granted", "（一）", "予以公开", "（一）予以公开", "results"),
    _t3("partially_granted", "（二）", "部分公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "results"),
    _t3("denied.state_secret", "1.", "国家秘密", "1.属于国家秘密", "denied"),
    _t3("denied.prohibited_by_law", "2.", "其他法律", "2.其他法律行政法规禁止公开", "denied"),
    _t3("denied.security_stability", "3.", "三安全", "3.危及“三安全一稳定”", "denied"),
    _t3("denied.third_party_rights", "4.", "第三方合法权益", "4.保护第三方合法权益", "denied"),
    _t3("denied.internal_affairs", "5.", "三类内部事务", "5.属于三类内部事务信息", "denied"),
    _t3("denied.process_info", "6.", "四类过程性", "6.属于四类过程性信息", "denied"),
    _t3("denied.enforcement_files", "7.", "行政执法案卷", "7.属于行政执法案卷", "denied"),
    _t3("denied.admin_query", "8.", "行政查询事项", "8.属于行政查询事项", "denied"),
    _t3("unable.not_held", "1.", "不掌握", "1.本机关不掌握相关政府信息", "unable"),
    _t3("unable.needs_creation", "2.", "另行制作", "2.没有现成信息需要另行制作", "unable"),
    _t3("unable.still_unclear", "3.", "仍不明确", "3.补正后申请内容仍不明确", "unable"),
    _t3("not_processed.petition", "1.", "信访举报投诉", "1.信访举报投诉类申请", "not_processed"),
    _t3("not_processed.duplicate", "2.", "重复申请", "2.重复申请", "not_processed"),
    _t3("not_processed.publication", "3.", "公开出版物", "3.要求提供公开出版物", "not_processed"),
    _t3("not_processed.excessive", "4.", "大量反复申请", "4.无正当理由大量反复申请", "not_processed"),
    _t3("not_processed.confirmation", "5.", "重新出具", "5.要求行政机关确认或重新出具已获取信息", "not_processed"),
    _t3("other", "（六）", "其他处理", "（六）其他处理", "results", ("2019",)),
    _t3("other.no_correction", "1.", "逾期不补正", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other", ("2021",)),
    _t3("other.no_fee_paid", "2.", "收费通知", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other", ("2021",)),
    _t3("other.other", "3.", "其他", "3.其他", "other", ("2021",)),
    _t3("results_total", "（七）", "总计", "（七）总计", "results"),
    _t3("carried_forward", "四、", "结转下年度", "四、结转下年度继续办理"),
)
T3_BY_KEY = {r.key: r for r in T3_ROWS}

# Group rows (labels only, never values) that give sub-rows their context.
T3_GROUPS = (
    ("results", "本年度办理结果"),
    ("denied", "不予公开"),
    ("unable", "无法提供"),
    ("not_processed", "不予处理"),
)

# Rows whose sum is 三、（七）总计 (the 2019 single （六） or the 2021 three sub-rows).
T3_RESULT_PARTS = tuple(r.key for r in T3_ROWS if r.parent in ("results", "denied", "unable", "not_processed", "other")
                        and r.key not in ("results_total",))


def t3_rows_for(template: str | None, single_other: bool = False) -> list[str]:
    """The row keys a report of this template carries (2021 reports with one （六） row keep it)."""
    if template == "2021" and not single_other:
        return [r.key for r in T3_ROWS if "2021" in r.templates]
    return [r.key for r in T3_ROWS if "2019" in r.templates]


@dataclass(frozen=True)
class T2Row:
    key: str
    label: str
    core: str
    columns: tuple[str, ...]
    money_col: str = ""  # the column printed as money, if any
    money_unit: float = 1.0  # yuan per printed unit when the cell carries no unit


T2_ROWS: dict[str, tuple[T2Row, ...]] = {
    "2019": (
        T2Row("rules", "规章", "规章", ("made", "published", "published_total")),
        T2Row("normative_docs", "规范性文件", "规范性文件", ("made", "published", "published_total")),
        T2Row("licensing", "行政许可", "行政许可", ("prev_items", "change", "decisions")),
        T2Row("other_services", "其他对外管理服务事项", "其他对外管理服务事项", ("prev_items", "change", "decisions")),
        T2Row("penalty", "行政处罚", "行政处罚", ("prev_items", "change", "decisions")),
        T2Row("coercion", "行政强制", "行政强制", ("prev_items", "change", "decisions")),
        T2Row("fees", "行政事业性收费", "行政事业性收费", ("prev_items", "change")),
        T2Row("procurement", "政府集中采购", "政府集中采购", ("items", "amount"), "amount", 1.0),
    ),
    "2021": (
        T2Row("rules", "规章", "规章", ("issued", "repealed", "in_force")),
        T2Row("normative_docs", "行政规范性文件", "规范性文件", ("issued", "repealed", "in_force")),
        T2Row("licensing", "行政许可", "行政许可", ("decisions",)),
        T2Row("penalty", "行政处罚", "行政处罚", ("decisions",)),
        T2Row("coercion", "行政强制", "行政强制", ("decisions",)),
        T2Row("fees", "行政事业性收费", "行政事业性收费", ("amount",), "amount", 10000.0),
    ),
}
# The distinctive part of each 表二 column header (normalized), to place cells under their header.
T2_HEADERS = {
    "made": "本年新制作", "published": "本年新公开", "published_total": "对外公开总", "prev_items": "上一年项目",
    "change": "本年增", "decisions": "处理决定", "items": "采购项目", "amount": "金额",
    "issued": "本年制发", "repealed": "本年废止", "in_force": "现行有效",
}
T2_SIGNED = {("2019", "change")}  # 本年增/减 may be negative

# Header words that tell the templates apart (normalized text).
T2_MARKERS = {
    "2019": ("本年新制作", "本年新公开", "对外公开总数", "上一年项目数", "本年增/减", "第二十条第(九)项", "采购总金额"),
    "2021": ("本年制发", "本年废止", "现行有效", "本年处理决定", "本年收费金额"),
}


def t2_columns(template: str) -> list[str]:
    return [f"{r.key}.{c}" for r in T2_ROWS[template] for c in r.columns]


RELATIONS = (
    "t3.balance: new_received + carried_over = results_total + carried_forward (every column)",
    "t3.results: results_total = sum of the result rows (every column)",
    "t3.applicants: total = sum of the six applicant columns (every row)",
    "t4.groups: total = upheld + corrected + other + pending (review, suit_direct, suit_after_review)",
)
