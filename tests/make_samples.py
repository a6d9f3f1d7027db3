"""Write the synthetic sample documents shipped in data/raw/samples/ (made-up agencies and numbers).

    uv run python tests/make_samples.py            # (re)writes data/raw/samples/
    uv run python tests/make_samples.py --list     # what would be written, with the expected record

Each sample is one rendering of `tests.synth.make_report`; the same call gives the same bytes, so the
files can be regenerated at any time. The expected records are not written next to the documents
(everything under data/raw/ is read as a document); `--list` prints them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.synth import SHAPES, make_report

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


def samples() -> list[tuple[str, dict, bytes]]:
    out = []
    for i, (name, template, seed, opts, shape) in enumerate(SAMPLES, 1):
        report = make_report(template, seed, **opts)
        filename = f"{i:02d}_{report['year']}_{name}.{EXT[shape]}"
        out.append((filename, report, SHAPES[shape](report)))
    return out


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
