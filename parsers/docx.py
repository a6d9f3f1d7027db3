"""DOCX -> rows and text (python-docx), through the same grid -> rows path as HTML and PDF.

Word merges cells two ways, and both become None in the grid ("covered by a span"):
- gridSpan: one <w:tc> spanning several grid columns; the columns after its first are None;
- vMerge: a cell continuing the one above (vMerge without "restart") is None at every column it covers.
An empty cell is "". Rows with w:gridBefore / w:gridAfter leave those columns None (no cell there).

The zip directory is checked before anything is decompressed: a DOCX expanding past the limits
is refused as a possible zip bomb.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from parsers.model import UnsupportedFormat
from parsers.rows import RawRow, grid_to_rows

MAX_UNZIPPED = 100 * 1024 * 1024  # all members together
MAX_MEMBERS = 5000
MAX_RATIO = 200  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class BrokenDocx(UnsupportedFormat):
    """A file that starts like a DOCX but is not a readable Word document."""


class ZipBomb(UnsupportedFormat):
    """A DOCX whose members expand far beyond any real report."""


def docx_to_rows(raw: bytes) -> tuple[list[RawRow], str, str | None]:
    check_zip(raw)
    from docx import Document

    try:
        doc = Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx / lxml / zipfile raise many types for broken files
        raise BrokenDocx(f"unreadable DOCX ({_one_line(exc)})") from None
    rows: list[RawRow] = []
    lines: list[str] = []
    tables = 0
    for block in body_blocks(doc):
        if isinstance(block, str):
            lines.append(block)
            continue
        tables += 1
        rows.extend(grid_to_rows(block, f"table {tables}"))
        lines.extend(" ".join(c for c in row if c) for row in block)
    return rows, "\n".join(lines), None


def check_zip(raw: bytes) -> None:
    """Refuse broken zips and zip bombs from the central directory alone (nothing decompressed)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BrokenDocx(f"unreadable DOCX ({_one_line(exc)})") from None
    if len(infos) > MAX_MEMBERS:
        raise ZipBomb(f"DOCX has {len(infos)} zip members, over the {MAX_MEMBERS} limit (a zip bomb?)")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise ZipBomb(f"DOCX expands to {total / 2**20:.0f} MB, over the {MAX_UNZIPPED / 2**20:.0f} MB "
                      "limit (a zip bomb?)")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ZipBomb(f"DOCX member {info.filename} expands {info.file_size // max(info.compress_size, 1)}×, "
                          f"over the {MAX_RATIO}× limit (a zip bomb?)")
    if not any(i.filename == "word/document.xml" for i in infos):
        raise BrokenDocx("unreadable DOCX (no word/document.xml)")


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def body_blocks(doc) -> Iterator[str | list[list[str | None]]]:  # noqa: ANN001 - a docx Document
    """The body in reading order: a paragraph's text, or a table's grid."""
    yield from _blocks_of(doc.element.body, doc)


def _blocks_of(parent, doc) -> Iterator[str | list[list[str | None]]]:  # noqa: ANN001 - lxml elements
    from docx.table import Table

    for child in parent.iterchildren():
        if child.tag == f"{_W}p":
            yield "".join(t.text or "" for t in child.iter(f"{_W}t"))
        elif child.tag == f"{_W}tbl":
            yield table_grid(Table(child, doc))
        elif child.tag == f"{_W}sdt":  # a content control wrapping paragraphs and tables
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _blocks_of(content, doc)


def table_grid(table) -> list[list[str | None]]:  # noqa: ANN001 - a docx Table
    grid: list[list[str | None]] = []
    for tr in table._tbl.tr_lst:
        row: list[str | None] = [None] * _grid_before(tr)
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            continued = tc.vMerge is not None and tc.vMerge != "restart"
            row.append(None if continued else cell_text(tc))
            row.extend([None] * (span - 1))
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [r + [None] * (width - len(r)) for r in grid]


def _grid_before(tr) -> int:  # noqa: ANN001 - a CT_Row
    trpr = tr.trPr
    if trpr is None:
        return 0
    el = trpr.find(f"{_W}gridBefore")
    return int(el.get(f"{_W}val", "0")) if el is not None else 0


def cell_text(tc) -> str:  # noqa: ANN001 - a CT_Tc
    """The cell's paragraphs joined with spaces (labels are normalized later; values have one line)."""
    paras = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in tc.iter(f"{_W}p")]
    return " ".join(" ".join(paras).split())
