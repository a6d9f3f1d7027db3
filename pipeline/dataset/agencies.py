"""One identity per agency across years and spellings, and its place (province, city, county).

Plain records only (no DataFrames). The same agency prints its name in many ways: with or without
办事处 (石门街道办事处 / 石门街道), with spaces, with full-width characters. `agency_key` folds those
spellings into one key; `agency_id` is a short hash of the key, stable across runs.

Where the folding is not enough (a renamed agency, an abbreviation), an override file
(data/agency_overrides.csv) maps a spelling to the name it stands for, and may set the region.

The region comes from the name: a province name (or the province of a well-known city) at its
start, then the leading prefecture (…市/…州/…地区/…盟) and county (…县/…区/…旗/…市) units. A small
own table of provinces and major cities is used instead of a gazetteer package: cpca (tried
offline) assigns a province to bare district names that exist in several provinces (朝阳区,
西湖区) and even to a made-up "青禾县" (重庆市): a wrong place that looks right is worse than none.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OVERRIDES = ROOT / "data" / "agency_overrides.csv"
OVERRIDE_COLUMNS = ("alias", "canonical", "province", "city", "county")

# Provincial-level divisions: (full name, short name).
PROVINCES = (
    ("北京市", "北京"), ("天津市", "天津"), ("上海市", "上海"), ("重庆市", "重庆"), ("河北省", "河北"),
    ("山西省", "山西"), ("辽宁省", "辽宁"), ("吉林省", "吉林"), ("黑龙江省", "黑龙江"), ("江苏省", "江苏"),
    ("浙江省", "浙江"), ("安徽省", "安徽"), ("福建省", "福建"), ("江西省", "江西"), ("山东省", "山东"),
    ("河南省", "河南"), ("湖北省", "湖北"), ("湖南省", "湖南"), ("广东省", "广东"), ("海南省", "海南"),
    ("四川省", "四川"), ("贵州省", "贵州"), ("云南省", "云南"), ("陕西省", "陕西"), ("甘肃省", "甘肃"),
    ("青海省", "青海"), ("台湾省", "台湾"), ("内蒙古自治区", "内蒙古"), ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"), ("宁夏回族自治区", "宁夏"), ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"), ("澳门特别行政区", "澳门"),
)
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")

# Provincial capitals and sub-provincial cities -> province (names unique nationwide).
CITY_PROVINCE = {
    "石家庄市": "河北省", "太原市": "山西省", "呼和浩特市": "内蒙古自治区", "沈阳市": "辽宁省", "大连市": "辽宁省",
    "长春市": "吉林省", "哈尔滨市": "黑龙江省", "南京市": "江苏省", "苏州市": "江苏省", "杭州市": "浙江省",
    "宁波市": "浙江省", "合肥市": "安徽省", "福州市": "福建省", "厦门市": "福建省", "南昌市": "江西省",
    "济南市": "山东省", "青岛市": "山东省", "郑州市": "河南省", "武汉市": "湖北省", "长沙市": "湖南省",
    "广州市": "广东省", "深圳市": "广东省", "南宁市": "广西壮族自治区", "海口市": "海南省", "成都市": "四川省",
    "贵阳市": "贵州省", "昆明市": "云南省", "拉萨市": "西藏自治区", "西安市": "陕西省", "兰州市": "甘肃省",
    "西宁市": "青海省", "银川市": "宁夏回族自治区", "乌鲁木齐市": "新疆维吾尔自治区",
}

# Provincial portals: the host label before .gov.cn (www.<label>.gov.cn) -> province.
SITE_PROVINCE = {
    "beijing": "北京市", "tj": "天津市", "shanghai": "上海市", "cq": "重庆市", "hebei": "河北省",
    "shanxi": "山西省", "nmg": "内蒙古自治区", "ln": "辽宁省", "jl": "吉林省", "hlj": "黑龙江省",
    "jiangsu": "江苏省", "zj": "浙江省", "ah": "安徽省", "fujian": "福建省", "jiangxi": "江西省",
    "shandong": "山东省", "henan": "河南省", "hubei": "湖北省", "hunan": "湖南省", "gd": "广东省",
    "gxzf": "广西壮族自治区", "hainan": "海南省", "sc": "四川省", "guizhou": "贵州省", "yn": "云南省",
    "xizang": "西藏自治区", "shaanxi": "陕西省", "gansu": "甘肃省", "qinghai": "青海省", "nx": "宁夏回族自治区",
    "xinjiang": "新疆维吾尔自治区",
}

_DROP = re.compile(r"[\s\u3000·•・\"'“”‘’《》]+")
_PREFECTURE = re.compile(r"^(.{1,8}?(?:自治州|地区|盟|市|州(?!市)))")
_COUNTY = re.compile(r"^(.{1,8}?(?:自治县|自治旗|县|区|旗|市))")
_ORGAN_WORDS = ("人民政府", "政府", "委员会", "局", "厅", "办公", "中心", "街道", "镇", "乡", "部", "所", "院")
_HOST = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)*?([a-z0-9-]+)\.gov\.cn", re.I)


class OverridesError(Exception):
    """The override file cannot be read; the message is one line naming the file and row."""


@dataclass(frozen=True)
class Region:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    source: str | None = None  # "name", "site", "override" or None


@dataclass(frozen=True)
class Override:
    canonical: str
    region: Region


def agency_key(name: str | None) -> str | None:
    """The spelling-independent key: NFKC (full-width -> half-width), no spaces or quotes, brackets
    unified, a trailing 办事处 of a 街道 dropped (石门街道办事处 = 石门街道), trailing punctuation dropped."""
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name)
    text = _DROP.sub("", text).replace("(", "（").replace(")", "）")
    text = text.rstrip("，。、;；:：-_")
    if text.endswith("街道办事处"):
        text = text[: -len("办事处")]
    elif text.endswith("街道办"):
        text = text[: -len("办")]
    return text or None


def make_agency_id(key: str) -> str:
    """`ag-` and 12 hex digits of the key's sha256: stable across runs, the same for every spelling."""
    return "ag-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def load_overrides(path: str | Path | None = None) -> dict[str, Override]:
    """alias key -> Override, from a UTF-8 CSV with columns alias, canonical, province, city, county.

    A missing file is no overrides; a malformed one is an OverridesError."""
    path = Path(path) if path is not None else DEFAULT_OVERRIDES
    if not path.is_file():
        return {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OverridesError(f"{path}: cannot read: {' '.join(str(exc).split())}") from exc
    return dict(_override(path, n, row) for n, row in enumerate(rows, 2))


def _override(path: Path, line: int, row: dict[str, str | None]) -> tuple[str, Override]:
    missing = [c for c in OVERRIDE_COLUMNS if c not in row]
    alias, canonical = agency_key(row.get("alias")), agency_key(row.get("canonical"))
    if missing or alias is None:
        raise OverridesError(f"{path}: line {line}: needs the columns {', '.join(OVERRIDE_COLUMNS)} and an alias")
    fields = {k: (row.get(k) or "").strip() or None for k in ("province", "city", "county")}
    source = "override" if any(fields.values()) else None
    return alias, Override(canonical or alias, Region(**fields, source=source))


def region_from_name(key: str) -> Region:
    """Province, city and county from the leading units of the name, where they can be told."""
    province, rest = _province_prefix(key)
    city, county = None, None
    m = _PREFECTURE.match(rest)
    if m and not _organ(m.group(1)):
        city, rest = m.group(1), rest[m.end():]
        province = province or CITY_PROVINCE.get(city)
    m = _COUNTY.match(rest)
    if m and not _organ(m.group(1)):
        county = m.group(1)
    if city is None and county is None and province in MUNICIPALITIES:
        city = province
    if province in MUNICIPALITIES and city is not None and city != province:
        city, county = province, county or city
    found = province or city or county
    return Region(province, city, county, "name" if found else None)


def _province_prefix(key: str) -> tuple[str | None, str]:
    for full, short in PROVINCES:
        if key.startswith(full):
            return full, key[len(full):] if full not in MUNICIPALITIES else key
        if key.startswith(short + "省") or (len(short) > 2 and key.startswith(short)):
            return full, key[len(short):].removeprefix("省")
    return None, key


def _organ(unit: str) -> bool:
    """A matched 'unit' that is really part of an organ's name (市场监督管理局 starts with 市)."""
    return any(w in unit for w in _ORGAN_WORDS) or unit.startswith(("市", "区", "县"))


def province_from_site(source: str | None) -> str | None:
    """The province of a provincial portal the document came from (www.gd.gov.cn -> 广东省)."""
    m = _HOST.search(source or "")
    return SITE_PROVINCE.get(m.group(1).lower()) if m else None


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str  # the canonical name (override target, else the folded key)
    region: Region


class AgencyResolver:
    """name (+ source) -> Agency, with overrides applied; remembers every spelling seen."""

    def __init__(self, overrides: dict[str, Override] | None = None) -> None:
        self.overrides = overrides or {}
        self.spellings: dict[str, set[str]] = {}

    def resolve(self, name: str | None, source: str | None = None) -> Agency | None:
        key = agency_key(name)
        if key is None:
            return None
        override = self.overrides.get(key)
        canonical = agency_key(override.canonical) if override else key
        region = override.region if override and override.region.source else region_from_name(canonical or key)
        if region.province is None and (site := province_from_site(source)):
            region = Region(site, region.city, region.county, "site")
        agency = Agency(make_agency_id(canonical or key), canonical or key, region)
        self.spellings.setdefault(agency.agency_id, set()).add(str(name))
        return agency


def possibly_same(names: list[str]) -> list[tuple[str, str]]:
    """(short, long) pairs of canonical names where the short one starts with a county-level unit and is
    the tail of exactly one longer name (洪泽区人民政府 / 淮安市洪泽区人民政府): candidates for an override,
    never merged automatically (an agency_id must not change when another report is added)."""
    pairs = []
    for short in sorted(set(names)):
        if region_from_name(short).county is None or not _starts_with_county(short):
            continue
        longer = [n for n in names if n != short and n.endswith(short)]
        if len(set(longer)) == 1:
            pairs.append((short, longer[0]))
    return pairs


def _starts_with_county(name: str) -> bool:
    m = _COUNTY.match(name)
    return bool(m) and region_from_name(name).county == m.group(1)
