"""Write the synthetic sample documents shipped in data/raw/samples/ (made-up agencies and numbers).

    uv run python tests/make_samples.py            # (re)writes data/raw/samples/
    uv run python tests/make_samples.py --list     # what would be written, with the expected record

Each sample is one rendering of `tests.synth.make_report`; the same call gives the same bytes, so the
files can be regenerated at any time. SERIES adds one made-up agency over three years (2020 on the
2019 template, 2021 and 2022 on the 2021 template), spelled three ways (…街道办事处, …街道, …街道办),
so that `nianbao compare` has years to compare: 2020 → 2021 carries over (结转下年度 = 上年结转),
2022 on purpose does not (its 上年结转 of natural persons is one more than 2021 carried forward).
Its prose: 2021 repeats 2020's 五、存在的主要问题及改进情况 word for word (as copied reports do), 2022
rewrites it (REWRITTEN_PROBLEMS), so the sections table has both cases. The expected records are not written next to the documents
(everything under data/raw/ is read as a document); `--list` prints them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from parsers.templates import T3_COLUMNS, T3_PARTS
from tests.synth import SHAPES, failing_checks, make_report

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "raw" / "samples"
EXT = {"html": "html", "html_gbk": "html", "seed_text": "txt", "row_lines": "txt", "markdown": "md", "glued": "txt"}

# (name, template, seed, options, shape)
SAMPLES = (
    ("html_gbk", "2019", 101, {}, "html_gbk"),  # GBK bytes, <meta charset=gb2312>
    ("html_utf8_variants", "2021", 102, {"label_variants": True, "blank_zeros": True}, "html"),
    ("seed_text", "2019", 103, {"zero_heavy": True}, "seed_text"),
    ("markdown_extra_row", "2021", 104, {"extra_row": True}, "markdown"),
    ("glued", "2021", 105, {}, "glued"),
    ("inconsistent_row_lines", "2021", 106, {"inconsistent": "t4_total", "blank_totals": True}, "row_lines"),
)


# One agency over three years: (name, template, seed, year, printed agency name, shape).
SERIES_AGENCY = "云泽市石门街道办事处"
SERIES = (
    ("series_2020", "2019", 201, 2020, "云泽市石门街道办事处", "html"),
    ("series_2021", "2021", 202, 2021, "云泽市石门街道", "markdown"),
    ("series_2022", "2021", 203, 2022, "云泽市石门街道办", "row_lines"),
)


REWRITTEN_PROBLEMS = {  # sample name -> its own 存在的主要问题及改进情况 (the others keep the generator's text)
    "series_2022": [
        "对照群众期待，本年度工作仍有差距：依申请公开答复文书格式不够统一，部分栏目更新滞后，"
        "政务新媒体互动回应偏慢。",
        "明年将制定答复文书范本并组织案例评查，建立栏目更新季度通报制度，安排专人负责留言回复。",
    ],
}


def samples() -> list[tuple[str, dict, bytes]]:
    out = []
    for i, (name, template, seed, opts, shape) in enumerate(SAMPLES, 1):
        report = make_report(template, seed, **opts)
        filename = f"{i:02d}_{report['year']}_{name}.{EXT[shape]}"
        out.append((filename, report, SHAPES[shape](report)))
    start = len(out) + 1
    for i, (report, shape, name) in enumerate(series(), start):
        out.append((f"{i:02d}_{report['year']}_{name}.{EXT[shape]}", report, SHAPES[shape](report)))
    return out


def series(carry: tuple[bool, ...] = (True, False)) -> list[tuple[dict, str, str]]:
    """SERIES as (report, shape, name); carry[i] says whether report i+1 carries over from report i
    (False: chained, then its natural-person 上年结转 raised by one, so the cross-year check fails)."""
    made = []
    for name, template, seed, year, agency, shape in SERIES:
        report = rename(make_report(template, seed, year=year), agency)
        if made:
            chain(made[-1][0], report, shift=0 if carry[len(made) - 1] else 1)
        report["narrative"]["problems"] = REWRITTEN_PROBLEMS.get(name, report["narrative"]["problems"])
        made.append((report, shape, name))
    return made


def rename(report: dict, agency: str) -> dict:
    """The same report, published under another (made-up) agency name."""
    old = report["agency"]
    report["agency"] = report["expected"]["agency"] = agency
    report["title"] = report["title"].replace(old, agency)
    narrative = report["narrative"]
    narrative["intro"] = narrative["intro"].replace(old, agency)
    for part in ("general", "problems", "other"):
        narrative[part] = [text.replace(old, agency) for text in narrative[part]]
    return report


def chain(prev: dict, report: dict, shift: int = 0) -> None:
    """This year's 上年结转 := last year's 结转下年度 (+ shift for natural persons); 本年新收 is adjusted so
    that the year still balances (一 + 二 = 三（七） + 四), every column."""
    t3 = report["expected"]["t3"]
    for col in T3_PARTS:
        over = prev["expected"]["t3"]["carried_forward"][col] + (shift if col == "natural_person" else 0)
        new = t3["results_total"][col] + t3["carried_forward"][col] - over
        if new < 0:  # not enough done this year for what came in: carry the rest forward
            t3["carried_forward"][col] -= new
            new = 0
        t3["carried_over"][col], t3["new_received"][col] = over, new
    for row in ("carried_over", "new_received", "carried_forward"):
        t3[row]["total"] = sum(t3[row][c] for c in T3_PARTS)
        report["printed"]["t3"][row] = {c: str(t3[row][c]) for c in T3_COLUMNS}
        report["true"]["t3"][row] = dict(t3[row])
    report["narrative"]["general"][2] = (f"（二）依申请公开。全年共收到政府信息公开申请{t3['new_received']['total']}件，"
                                         f"上年结转{t3['carried_over']['total']}件，均在法定期限内答复。")
    report["failing_checks"] = failing_checks(t3, report["expected"]["t4"], report["t3_rows"])


def main(argv: list[str]) -> int:
    made = samples()
    if "--list" in argv:
        for filename, report, raw in made:
            print(f"{filename}  ({len(raw)} bytes)  failing checks: {report['failing_checks'] or 'none'}")
            print(json.dumps(report["expected"], ensure_ascii=False))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for filename, report, raw in made:
        (OUT / filename).write_bytes(raw)
        note = f"; must fail {', '.join(report['failing_checks'])}" if report["failing_checks"] else ""
        print(f"wrote {OUT.relative_to(ROOT) / filename}: {report['agency']} {report['year']}, "
              f"template {report['template']}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
