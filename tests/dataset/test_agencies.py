"""Agency identity across spellings and years, regions from names, the override file (made-up agencies)."""

from __future__ import annotations

import hashlib

import pytest

from parsers.model import Report
from pipeline.dataset.agencies import (
    AgencyResolver,
    OverridesError,
    agency_key,
    load_overrides,
    make_agency_id,
    possibly_same,
    province_from_site,
    region_from_name,
)
from pipeline.dataset.normalize import records_to_frames


@pytest.mark.parametrize("spelling", [
    "云泽市石门街道办事处", "云泽市石门街道", "云泽市石门街道办", "云泽市 石门街道办事处", "云泽市\u3000石门街道",
    " 云泽市石门街道办事处\n", "云泽市石门街道办事处。",
])
def test_every_spelling_of_one_agency_gets_one_id(spelling):
    assert agency_key(spelling) == "云泽市石门街道"
    assert AgencyResolver().resolve(spelling).agency_id == make_agency_id("云泽市石门街道")


def test_full_width_characters_fold_to_the_same_key():
    assert agency_key("白鹭市（ＡＢ）数据资源局") == agency_key("白鹭市(AB)数据资源局") == "白鹭市（AB）数据资源局"


def test_different_agencies_keep_different_ids():
    resolver = AgencyResolver()
    ids = {resolver.resolve(n).agency_id for n in ("云泽市石门街道办事处", "云泽市生态环境局", "云泽市人民政府",
                                                    "云泽市人民政府办公室", "青禾县人民政府")}
    assert len(ids) == 5
    assert resolver.resolve(None) is None and resolver.resolve("  ") is None


@pytest.mark.parametrize(("name", "expected"), [
    ("广东省广州市天河区教育局", ("广东省", "广州市", "天河区")),
    ("北京市海淀区人民政府", ("北京市", "北京市", "海淀区")),
    ("上海市人民政府办公厅", ("上海市", "上海市", None)),
    ("长沙市岳麓区数据资源局", ("湖南省", "长沙市", "岳麓区")),
    ("浙江省市场监督管理局", ("浙江省", None, None)),
    ("内蒙古自治区呼和浩特市新城区人民政府", ("内蒙古自治区", "呼和浩特市", "新城区")),
    ("白鹭市市场监督管理局", (None, "白鹭市", None)),
    ("青禾县人民政府办公室", (None, None, "青禾县")),
    ("国家税务总局云泽市税务局", (None, None, None)),
    ("交通运输局", (None, None, None)),
])
def test_region_from_the_leading_units_of_the_name(name, expected):
    region = region_from_name(agency_key(name))
    assert (region.province, region.city, region.county) == expected
    assert region.source == ("name" if any(expected) else None)


def test_province_from_a_provincial_portal_when_the_name_has_none():
    assert province_from_site("https://www.gd.gov.cn/zwgk/nb/2021.html") == "广东省"
    assert province_from_site("samples/03_2019_seed_text.txt") is None
    agency = AgencyResolver().resolve("青禾县人民政府", "http://www.zj.gov.cn/art/2021/1/1/x.html")
    assert (agency.region.province, agency.region.county, agency.region.source) == ("浙江省", "青禾县", "site")


def test_overrides_map_a_spelling_and_set_the_region(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("alias,canonical,province,city,county\n石门街道,云泽市石门街道办事处,示例省,云泽市,\n"
                    "云泽市数据局,云泽市数据资源局,,,\n", encoding="utf-8")
    resolver = AgencyResolver(load_overrides(path))
    short, full = resolver.resolve("石门街道"), resolver.resolve("云泽市石门街道")
    assert short.agency_id == full.agency_id and short.name == "云泽市石门街道"
    assert (short.region.province, short.region.city, short.region.source) == ("示例省", "云泽市", "override")
    renamed = resolver.resolve("云泽市数据局")
    assert renamed.agency_id == resolver.resolve("云泽市数据资源局").agency_id
    assert renamed.region.source == "name" and renamed.region.city == "云泽市"


def test_a_missing_override_file_is_no_overrides_and_a_bad_one_a_named_error(tmp_path):
    assert load_overrides(tmp_path / "none.csv") == {}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,to\n甲,乙\n", encoding="utf-8")
    with pytest.raises(OverridesError, match=r"bad.csv: line 2: needs the columns alias") as info:
        load_overrides(bad)
    assert "\n" not in str(info.value)


def test_the_project_override_file_loads():
    assert all(o.canonical for o in load_overrides().values())


def _report(agency: str, year: int) -> tuple[Report, dict]:
    sha = hashlib.sha256(f"{agency}{year}".encode()).hexdigest()
    return Report(source=f"{year}.html", template="2019", year=year, agency=agency), {
        "source": f"{year}.html", "sha256": sha, "size_bytes": 10}


def test_the_agencies_table_has_one_row_per_agency_with_its_spellings_and_years(tmp_path):
    items = [_report("云泽市石门街道办事处", 2020), _report("云泽市石门街道", 2021), _report("云泽市石门街道办", 2022),
             _report("青禾县人民政府", 2021)]
    frames = records_to_frames(items, overrides=tmp_path / "none.csv")
    agencies = frames["agencies"].set_index("name")
    row = agencies.loc["云泽市石门街道"]
    assert row["spellings"] == "云泽市石门街道 | 云泽市石门街道办 | 云泽市石门街道办事处"
    assert (row["first_year"], row["last_year"], row["reports"], row["city"]) == (2020, 2022, 3, "云泽市")
    assert frames["reports"]["agency_id"].nunique() == 2 and len(agencies) == 2
    assert set(frames["reports"]["agency_id"]) == set(frames["agencies"]["agency_id"])


def test_possibly_the_same_agency_is_suggested_never_merged():
    names = ["白鹭市松岚区人民政府", "松岚区人民政府", "教育局", "白鹭市教育局", "云泽市教育局", "青禾县水利局"]
    assert possibly_same(names) == [("松岚区人民政府", "白鹭市松岚区人民政府")]
    resolver = AgencyResolver()
    assert resolver.resolve("松岚区人民政府").agency_id != resolver.resolve("白鹭市松岚区人民政府").agency_id
