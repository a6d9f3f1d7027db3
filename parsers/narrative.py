"""Numbers the report's prose quotes (收到申请N件, 行政复议N件…), to check them against the tables.

Pure: text in, {key: number} out. Each key takes the first sentence that states it; a key the text
does not state is absent. Only arabic numerals are read (full-width digits are folded first).

keys: received (本年新收/收到申请), carried_over (上年结转), carried_forward (结转下年度), granted
(予以公开), partially_granted (部分公开), granted_or_partial (予以公开及部分公开, one number for both),
review (行政复议 cases), suit (行政诉讼 cases), normative_docs_new (新制发规范性文件N件: 表二's
本年新制作数量 / 本年制发件数).
"""

from __future__ import annotations

import re
import unicodedata

_N = r"(\d[\d,]*)"
_GAP = r"[^。；;，,]{0,12}?"  # a few words inside one clause
PATTERNS: dict[str, tuple[str, ...]] = {
    "received": (
        rf"(?:收到|新收|受理){_GAP}申请(?:共|总计|合计|数量为?|为)?{_N}件",
        rf"(?:收到|新收|受理){_GAP}申请[^。；;]{{0,4}}?{_N}件",
    ),
    "carried_over": (rf"上年(?:度)?结转{_GAP}{_N}件",),
    "carried_forward": (rf"结转(?:至|到)?下(?:一)?年度?{_GAP}{_N}件",),
    "granted": (rf"(?<!部分)予以公开(?:的)?(?:共)?{_N}件",),
    "partially_granted": (rf"(?<![及和与、])部分公开(?:的)?(?:共)?{_N}件",),
    "granted_or_partial": (rf"予以公开(?:及|和|与|、)部分公开(?:的)?(?:共)?{_N}件",),
    "review": (rf"行政复议(?:案件|申请)?(?:共|总计|合计)?{_N}(?:件|起|宗|次)",),
    "suit": (rf"行政诉讼(?:案件)?(?:共|总计|合计)?{_N}(?:件|起|宗|次)",),
    "normative_docs_new": (rf"(?:新制发|新制定|新制作|制发)(?:了)?(?:行政)?规范性文件(?:共)?{_N}件",),
}
ZERO_PATTERNS: dict[str, tuple[str, ...]] = {
    "received": (r"(?:未|没有)(?:收到|受理)(?:任何)?(?:政府信息公开|信息公开|依申请公开)?申请",),
}
_COMPILED = {k: tuple(re.compile(p) for p in ps) for k, ps in PATTERNS.items()}
_ZERO = {k: tuple(re.compile(p) for p in ps) for k, ps in ZERO_PATTERNS.items()}


def narrative_numbers(text: str) -> dict[str, int]:
    """{key: N} for every key the prose states ("全年共收到政府信息公开申请12件" -> received: 12)."""
    flat = "".join(unicodedata.normalize("NFKC", text or "").split())
    found: dict[str, int] = {}
    for key, patterns in _COMPILED.items():
        hit = _first(flat, patterns)
        if hit is not None:
            found[key] = hit
        elif any(p.search(flat) for p in _ZERO.get(key, ())):
            found[key] = 0
    return found


def _first(flat: str, patterns: tuple[re.Pattern[str], ...]) -> int | None:
    hits = [m for p in patterns if (m := p.search(flat))]
    if not hits:
        return None
    first = min(hits, key=lambda m: m.start())
    return int(first.group(1).replace(",", ""))
