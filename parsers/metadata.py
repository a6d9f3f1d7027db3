"""Agency, year reported, publication date and 索引号 from header blocks, titles and the period sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.labels import normalize_text

_SEP = r"[ \t]*[:：]?[ \t]*(?:\|[ \t]*)?"
_INDEX = re.compile(r"索[ \t]*引[ \t]*号" + _SEP + r"([A-Za-z0-9][A-Za-z0-9\-/_.]{3,60})")
_CJK_NAME = r"([\u4e00-\u9fff()（）]{2,40})(?![:：\u4e00-\u9fff])"
_AGENCY = re.compile(r"(?:发布机构|发文机构|发文单位|公开主体|发布单位)" + _SEP + _CJK_NAME)
_SOURCE = re.compile(r"(?:信息来源|来源)" + _SEP + _CJK_NAME)
_DATE = re.compile(r"(?:生成日期|成文日期|发文日期|产生日期|发布日期|发布时间|公开日期|(?<!统计)时间)" + _SEP
                   + r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_YEAR_THEN_TITLE = re.compile(r"(?:20\d{2}|19\d{2})年度?的?(?:政府)?信息公开(?:工作)?(?:年度)?报告")
_NAME_BEFORE = re.compile(r"[\u4e00-\u9fff()]{2,40}\Z")
_TITLE_YEAR_FIRST = re.compile(r"(?:20\d{2}|19\d{2})年度?([\u4e00-\u9fff()]{2,30}?)(?:政府)?信息公开(?:工作)?(?:年度)?报告")
_TITLE_YEAR = re.compile(r"(20\d{2}|19\d{2})年度?[^\d。]{0,40}?信息公开(?:工作)?(?:年度)?报告")
_PERIOD = re.compile(r"统计(?:期限|时限|时间段|数据时限|周期|时间|区间)[^\d]{0,12}(20\d{2})")
_TITLE_LINE = re.compile(r"^(?:标题|名称|信息名称|title)\s*[:：]\s*(.+)$", re.M)


@dataclass
class Metadata:
    agency: str | None = None
    agency_printed: str | None = None  # the 发布机构 line, when the agency was taken from the title instead
    year: int | None = None
    published: str | None = None
    index_no: str | None = None
    year_from: str = ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_title(text: str, title: str | None = None) -> str | None:
    if title:
        return title
    m = _TITLE_LINE.search(text)
    return m.group(1).strip() if m else None


HEAD_CHARS = 8000  # header blocks, titles and the period sentence all sit at the top


def text_to_metadata(text: str, title: str | None = None) -> Metadata:
    """Metadata from a document's text (already through normalize_text) and its <title>, if any."""
    text = text[:HEAD_CHARS]
    meta = Metadata()
    if m := _INDEX.search(text):
        meta.index_no = m.group(1)
    if m := _DATE.search(text):
        meta.published = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    title = find_title(text, title)
    titles = (_squash(normalize_text(title)) if title else "", _squash(text[:3000]))
    meta.agency, meta.agency_printed = _agency(text, titles)
    meta.year, meta.year_from = _year(text, titles, meta.published)
    return meta


def _agency(text: str, titles: tuple[str, str]) -> tuple[str | None, str | None]:
    """(agency, the 发布机构 as printed when the title's agency was preferred to it).

    发布机构 (and its synonyms), else the title's prefix, else 信息来源. The title's agency wins
    over a 发布机构 that is a site-wide 人民政府 (hosting a department's report), a website
    (…网, …网站), a bare department word (办公室) or a fragment of the title's agency.
    """
    named = _title_agency(titles)
    if m := _AGENCY.search(text):
        publisher = m.group(1)
        if named and publisher != named and _weaker(publisher, named):
            return named, publisher
        return publisher, None
    if named:
        return named, None
    m = _SOURCE.search(text)
    return (m.group(1) if m else None), None


_BARE_UNITS = re.compile(r"^(?:本机关|本单位|本局|办公室|办公厅|综合科|综合处|综合股|政务公开办|信息公开办|"
                         r"党政办|党政办公室|政府办|政府办公室|行政办公室)$")


def _weaker(publisher: str, named: str) -> bool:
    """True when 发布机构 names the agency less well than the title does."""
    if publisher.endswith("人民政府") and not named.endswith("人民政府"):
        return True
    if publisher.endswith(("网", "网站", "门户")) or _BARE_UNITS.match(publisher):
        return True
    return len(publisher) < len(named) and publisher in named


def _title_agency(titles: tuple[str, str]) -> str | None:
    """The agency a title names: `XX县2020年政府信息公开工作年度报告` or `2020年XX局政府信息公开…`."""
    for flat in titles:
        for m in _YEAR_THEN_TITLE.finditer(flat):
            if before := _NAME_BEFORE.search(flat, max(0, m.start() - 40), m.start()):
                return before.group(0)
        if m := _TITLE_YEAR_FIRST.search(flat):
            return m.group(1)
    return None


def _year(text: str, titles: tuple[str, str], published: str | None) -> tuple[int | None, str]:
    for flat in titles:
        if m := _TITLE_YEAR.search(flat):
            return int(m.group(1)), "title"
    if m := _PERIOD.search(text):
        return int(m.group(1)), "period sentence"
    if published:
        return int(published[:4]) - 1, "publication year - 1"
    return None, ""
