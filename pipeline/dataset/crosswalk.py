"""The crosswalk between the 2019 and 2021 templates: which cells mean the same in every year.

Plain data, no DataFrames (pipeline.dataset.derive computes the `comparable` table from it).

- 表三: every row but （六） is in both templates with the same meaning. 2019 has one （六）其他处理
  row; 2021 splits it into three sub-rows whose sum is the 2019 row: `t3.other_all.<col>`.
  Group sums make the refusal reasons comparable at a glance: `t3.denied_all` (（三）1–8),
  `t3.unable_all` (（四）1–3), `t3.not_processed_all` (（五）1–5).
- 表四: identical in both templates; `t4.suit_all.<outcome>` = 直接起诉 + 复议后起诉 and
  `t4.all.<outcome>` = 行政复议 + both suits.
- 表二: only the 处理决定数量 of 行政许可, 行政处罚 and 行政强制 mean the same in both. The 2019 columns
  made/published/published_total, prev_items/change, other_services, fees items and procurement,
  and the 2021 issued/repealed/in_force and fees.amount have no counterpart and stay apart (in t2).
"""

from __future__ import annotations

from parsers.templates import T3_COLUMNS, T3_ROWS, T4_COLUMNS, T4_OUTCOMES, TEMPLATES

COMMON_T3_ROWS = tuple(r.key for r in T3_ROWS if r.templates == TEMPLATES)
T3_GROUP_SUMS = {
    "denied_all": tuple(r.key for r in T3_ROWS if r.parent == "denied"),
    "unable_all": tuple(r.key for r in T3_ROWS if r.parent == "unable"),
    "not_processed_all": tuple(r.key for r in T3_ROWS if r.parent == "not_processed"),
}
OTHER_2021 = tuple(r.key for r in T3_ROWS if r.parent == "other")  # the three 2021 （六） sub-rows
T4_GROUP_SUMS = {"suit_all": ("suit_direct", "suit_after_review"), "all": ("review", "suit_direct", "suit_after_review")}
T2_COMPARABLE = ("licensing.decisions", "penalty.decisions", "coercion.decisions")


def t3_comparable_keys() -> list[str]:
    rows = [*COMMON_T3_ROWS[:COMMON_T3_ROWS.index("results_total")], "other_all", *T3_GROUP_SUMS,
            "results_total", "carried_forward"]
    return [f"t3.{r}.{c}" for r in rows for c in T3_COLUMNS]


def t4_comparable_keys() -> list[str]:
    sums = [f"t4.{g}.{o}" for g in T4_GROUP_SUMS for o in T4_OUTCOMES]
    return [f"t4.{k}" for k in T4_COLUMNS] + sums


def comparable_keys() -> list[str]:
    return t3_comparable_keys() + t4_comparable_keys() + [f"t2.{k}" for k in T2_COMPARABLE]


def derived_parts(key: str) -> tuple[str, ...]:
    """The source columns a derived comparable column sums ((), for a column copied as is)."""
    table, rest = key.split(".", 1)
    row, col = rest.rsplit(".", 1)
    if table == "t3" and row in T3_GROUP_SUMS:
        return tuple(f"t3.{r}.{col}" for r in T3_GROUP_SUMS[row])
    if table == "t3" and row == "other_all":
        return tuple(f"t3.{r}.{col}" for r in OTHER_2021)
    if table == "t4" and row in T4_GROUP_SUMS:
        return tuple(f"t4.{g}.{col}" for g in T4_GROUP_SUMS[row])
    return ()


# ---- rates (pipeline.dataset.rates computes them; SQL-safe snake_case names) ----------------------

# rate column -> (numerator, denominator parts, description). Shares are of the requests decided
# this year (（七）总计); 纠错率 is of the reconsiderations and suits that ended with a result.
RATES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "rate_granted": ("t3.granted.total", ("t3.results_total.total",),
                     "予以公开 share: （一）予以公开 / （七）总计 (requests decided this year)"),
    "rate_partially_granted": ("t3.partially_granted.total", ("t3.results_total.total",),
                               "部分公开 share: （二）部分公开 / （七）总计"),
    "rate_denied": ("t3.denied_all.total", ("t3.results_total.total",),
                    "不予公开 (refused) share: （三）1–8 / （七）总计"),
    "rate_unable": ("t3.unable_all.total", ("t3.results_total.total",),
                    "无法提供 (unable to provide) share: （四）1–3 / （七）总计"),
    "rate_corrected": ("t4.all.corrected", ("t4.all.total", "-t4.all.pending"),
                       "纠错率: 结果纠正 / (行政复议 + 行政诉讼 with a result, i.e. 总计 − 尚未审结), "
                       "复议 and both suits together"),
}
# comparable columns added after the rates: name -> (dtype, description)
RANK_COLUMNS: dict[str, tuple[str, str]] = {
    "agency_level": ("string", "Level of the agency, from its name and region: province, city, county "
                               "(区/县/旗) or township (街道/乡/镇); null when unknown"),
    "received_change_pct": ("Float64", "Change of t3.new_received.total from the same agency's previous "
                                       "year, in % (null when that year is absent or had 0)"),
    "received_rank": ("Int64", "Rank of t3.new_received.total among agencies of the same level that year "
                               "(1 = most); null for a second report of the same agency and year"),
    "received_rank_of": ("Int64", "How many agencies of that level have t3.new_received.total that year "
                                  "(the N of 'rank k of N')"),
}
