from __future__ import annotations

from pathlib import Path

import pytest

from parsers.templates import T3_ROWS
from tests.sites.fakeweb import FakeSite

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_file():
    """A path under ../shared, or a skip where that copy of the reference material is absent."""

    def get(relative: str) -> Path:
        path = SHARED / relative
        if not path.is_file():
            pytest.skip(f"../shared/{relative} is not here")
        return path

    return get


def sample_html(agency: str = "示例县人民政府办公室", year: int = 2020, granted: int = 3) -> bytes:
    """A small synthetic 2019-template report (表二 two rows, 表三 complete) whose 表三 adds up."""

    def row(label: str, values: list[int]) -> str:
        return f"<tr><td>{label}</td>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"

    t2 = ("<table><tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>"
          + row("规章", [0, 0, 0]) + row("规范性文件", [1, 1, 5]) + "</table>")
    counts = {"new_received": granted, "granted": granted, "results_total": granted}
    t3 = "".join(row(r.label, [counts.get(r.key, 0)] + [0] * 5 + [counts.get(r.key, 0)])
                 for r in T3_ROWS if "2019" in r.templates)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    return (f"<html><head><title>{title}</title></head><body><p>{title}</p>{t2}"
            f"<table>{t3}</table></body></html>").encode()


@pytest.fixture
def servers():
    """start(FakeSite) -> the site, serving on 127.0.0.1 until the test ends."""
    started: list[FakeSite] = []

    def start(site: FakeSite) -> FakeSite:
        started.append(site.start())
        return site

    yield start
    for s in started:
        s.stop()
