"""PDF -> rows and text: ruled tables by pdfplumber's table finder, on pypdfium2's text layer.

- pypdfium2 opens the file once (cheap): encrypted, damaged and over-long PDFs are refused there,
  and a page with no text layer is a scan (OCR when the optional `[ocr]` extra is installed, else
  an error: never zeros). The same parse gives each page's text, chars and ruling lines.
- Ruled tables: pdfplumber's table finder (cells from ruling-line intersections) runs on those
  chars and lines (`fast_tables`, parsers/pdf_layer.py); a page whose reading is in doubt
  (`placement_doubt`, `PageLayer.reason`) is read by pdfplumber itself, as it always was. A
  position covered by a merged cell comes back as None and stays None (grid_to_rows drops it as
  "covered by a span"); an empty cell is "".
- A table cut by a page break is stitched as an explicit step (`stitch`): a vertical span continued
  at the top of the next page (printed there as an empty cell) becomes None, a label fragment
  continued there (`（四）无` | `法提供`) is put back on its origin cell, and a row split in two
  (label on one page, values on the other) is joined.
- A PDF with no ruled table at all is read from its page text, one `label v1 … vN` row per line
  (labels wrapped over lines joined first); a line is kept only when N is a width its row has,
  since a blank cell leaves no trace in text (the row is then null and named, never shifted).

Every row is named `page P table T row R`; `pages_of` turns that back into table -> pages.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from parsers.cells import is_value_text
from parsers.model import NotAReport, UnsupportedFormat
from parsers.pdf_layer import PageLayer, page_layer
from parsers.rows import RawRow, cells_to_row, text_to_rows

MAX_PAGES = 200
HEADER_ZONE = 0.10  # top share of a page where running headers sit
FOOTER_ZONE = 0.12  # bottom share where page numbers sit
_PASSWORD = 4  # FPDF_ERR_PASSWORD
_NUMBERED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+\s*[.、,．，])")
_CJK = "\u2e80-\u9fff\uff00-\uffef"
_LINE_IN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")


class BrokenPDF(UnsupportedFormat):
    """The bytes start like a PDF but cannot be read (truncated, damaged)."""


class EncryptedPDF(UnsupportedFormat):
    """The PDF needs a password to be opened."""


class TooManyPages(UnsupportedFormat):
    """Over the page limit: no annual report is that long."""


class ScannedPDF(NotAReport):
    """Pages with no text layer where the tables should be: they need OCR."""


@dataclass
class PdfTable:
    page: int
    index: int  # 1-based on its page
    grid: list[list[str | None]]
    starts_page: bool  # nothing but a running header above it
    ends_page: bool  # nothing but a page number below it
    xs: list[float]  # left edge of each grid column
    right: float  # right edge of the table
    reader: str = "pdfplumber"  # or "pdfium": chars and lines from pdfium's text layer (fast_tables)


# ---- entry point --------------------------------------------------------------------------------


def pdf_to_rows(raw: bytes, max_pages: int = MAX_PAGES) -> tuple[list[RawRow], str, str | None]:
    pages = read_pages(raw, max_pages)
    texts = [page.text for page in pages]
    blank = [n for n, t in enumerate(texts, start=1) if not has_text(t)]
    if len(blank) == len(texts):
        return scanned_pdf(raw, texts, blank)
    text = "\n".join(texts)
    rows = [row for table in stitch(pages_tables(raw, pages)) for row in table_rows(table)]
    if not rows:  # no ruled tables: rows from the lines of the page text
        rows = [row for number, page in enumerate(texts, start=1) for row in text_table_rows(page, number)]
    if not rows and blank:
        return scanned_pdf(raw, texts, blank)
    return rows, text, None


_ENDS_IN_VALUE = re.compile(r"[\d—/-]\s*$")
_FRAGMENT_THEN_VALUES = re.compile(r"^([^\d\s|]{1,20})\s+[\d—/-]")
_VALUES_ONLY = re.compile(r"^[\d—/\s.-]*\d[\d—/\s.-]*$")
_SHORT_FRAGMENT = re.compile(r"^[^\d\s|]{1,16}$")
_PAGE_NUMBER = re.compile(r"^\s*[-—－]\s*\d+\s*[-—－]\s*$")


def join_wrapped_labels(text: str) -> str:
    """Page text of an unruled table: a row label wrapped over lines, its numbers on the last one
    or on a line of their own (`（二）部分公开（…不计其他` / `情形） 3 0 0 1 0 2 6`), back on one line."""
    out: list[str] = []
    for line in text.splitlines():
        if out and _continues_label(out[-1], line):
            out[-1] = out[-1].rstrip() + (" " if _VALUES_ONLY.match(line) else "") + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _continues_label(prev: str, line: str) -> bool:
    if not prev.strip() or len(prev) > 60 or _ENDS_IN_VALUE.search(prev):
        return False
    if _NUMBERED.match(line) or _PAGE_NUMBER.match(line):
        return False
    if m := _FRAGMENT_THEN_VALUES.match(line):  # a row of its own (`规章 3 0 5`) is no fragment
        from parsers.records import label_key

        return label_key(m.group(1))[1] is None
    return bool(_VALUES_ONLY.match(line) or _SHORT_FRAGMENT.match(line))


_TOKEN = r"(?:[\d.,+\-—/]+(?:万元|元)?|无)"
_LINE_ROW = re.compile(rf"^(?P<label>.*?[^\d\s.,+\-—/])?\s*(?P<values>{_TOKEN}(?:\s+{_TOKEN})*)\s*$")


def text_table_rows(page: str, number: int) -> Iterator[RawRow]:
    """Rows of an unruled table from one page's text: `label v1 v2 …` per line (wrapped labels
    joined first). A blank cell leaves no trace in text, so a line is kept only when its count of
    values is a width its row has (7 for 表三, 15 for 表四, the row's columns for 表二): a row
    with a blank cell is then missing (null, named in warnings), never shifted."""
    for n, line in enumerate(join_wrapped_labels(page).splitlines(), start=1):
        m = _LINE_ROW.match(line.strip())
        if not m or not m["values"]:
            continue
        label, values = (m["label"] or "").strip(), m["values"].split()
        table = _fits(label, len(values))
        if table == "t4":  # what stands before 表四's values is its header, not a row label
            yield RawRow([], values, where=f"page {number} line {n}", cells=values)
        elif table:
            yield RawRow([label], values, where=f"page {number} line {n}", cells=[label, *values])


def _fits(label: str, count: int) -> str | None:
    """The table a `label v1 … vN` line belongs to, when N is a width its row has."""
    from parsers.records import label_key
    from parsers.templates import T2_ROWS

    table, key = label_key(label) if label else (None, None)
    if table == "t3":
        return "t3" if count == 7 else None
    if table == "t2":
        widths = {len(r.columns) for rows in T2_ROWS.values() for r in rows if r.key == key}
        return "t2" if count in widths else None
    return "t4" if count == 15 else None  # 表四: its header (joined from one-character lines), 15 values


def has_text(text: str) -> bool:
    """A text layer holds more than a page number."""
    return sum(1 for ch in text if ch.isalpha() or "\u4e00" <= ch <= "\u9fff") >= 4


def _page_list(pages: list[int]) -> str:
    shown = ", ".join(map(str, pages[:8])) + (", …" if len(pages) > 8 else "")
    return f"page{'s' if len(pages) > 1 else ''} {shown}"


def scanned_pdf(raw: bytes, texts: list[str], blank: list[int]) -> tuple[list[RawRow], str, str | None]:
    """Pages with no text layer where the tables must be: OCR them when the `[ocr]` extra is
    installed, else an error (never zeros)."""
    from parsers import ocr

    where = f"{len(blank)} pages" if len(blank) == len(texts) else f"{len(blank)} of {len(texts)} pages, " \
        f"{_page_list(blank)}"
    if not ocr.available():
        raise ScannedPDF(f"scanned PDF (no text layer on {where}): the tables need OCR "
                         "(install the [ocr] extra to read them)")
    read = ocr.pdf_page_texts(raw, blank)
    if not any(has_text(t) for t in read.values()):
        raise ScannedPDF(f"scanned PDF (no text layer on {where}): OCR found no text either")
    text = "\n".join(read.get(n, t) for n, t in enumerate(texts, start=1))
    return text_to_rows(text), text, None


# ---- text layer (pypdfium2) ----------------------------------------------------------------------


@dataclass
class PdfPage:
    text: str
    layer: PageLayer | None  # chars and ruling lines for the fast table reader (None: not read)


def page_texts(raw: bytes, max_pages: int = MAX_PAGES) -> list[str]:
    """The text of every page; refuses encrypted, damaged and over-long PDFs."""
    return [page.text for page in read_pages(raw, max_pages, layers=False)]


def read_pages(raw: bytes, max_pages: int = MAX_PAGES, layers: bool = True) -> list[PdfPage]:
    """Every page's text and (layers=True) its chars and ruling lines, from one pdfium parse;
    refuses encrypted, damaged and over-long PDFs."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD:
            raise EncryptedPDF("encrypted PDF (a password is needed to open it)") from None
        raise BrokenPDF(f"unreadable PDF: damaged or truncated ({_one_line(exc)})") from None
    try:
        if len(doc) > max_pages:
            raise TooManyPages(f"PDF has {len(doc)} pages, over the {max_pages}-page limit")
        if len(doc) == 0:
            raise BrokenPDF("unreadable PDF (no pages)")
        return [_read_page(doc[i], layers) for i in range(len(doc))]
    finally:
        doc.close()


def _read_page(page, layers: bool) -> PdfPage:  # noqa: ANN001 - a pypdfium2 PdfPage
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
        return PdfPage(text, page_layer(page, textpage) if layers and has_text(text) else None)
    finally:
        textpage.close()
        page.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


# ---- tables (pdfplumber) ------------------------------------------------------------------------


def read_tables(raw: bytes, fast: bool = True) -> list[PdfTable]:
    """Every ruled table of the PDF; fast=False reads every page with pdfplumber alone."""
    return pages_tables(raw, read_pages(raw, layers=fast))


def pages_tables(raw: bytes, pages: list[PdfPage]) -> list[PdfTable]:
    """Ruled tables page by page: from pdfium's chars and lines where they place every table
    confidently (`fast_tables`), else from pdfplumber (which parses only the pages it is asked for)."""
    found: dict[int, list[PdfTable]] = {}
    for number, page in enumerate(pages, start=1):
        tables = fast_tables(page.layer, number) if page.layer is not None else None
        if tables is not None:
            found[number] = tables
    slow = [n for n in range(1, len(pages) + 1) if n not in found]
    if slow:
        found.update(_plumber_tables(raw, slow))
    return [t for number in sorted(found) for t in found[number]]


def _plumber_tables(raw: bytes, numbers: list[int]) -> dict[int, list[PdfTable]]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
    except Exception as exc:  # pdfminer raises many types for broken files
        raise BrokenPDF(f"unreadable PDF ({_one_line(exc)})") from None
    found: dict[int, list[PdfTable]] = {}
    with pdf:
        for number in numbers:
            page = pdf.pages[number - 1]
            try:
                found[number] = list(_page_tables(page, page.find_tables(), number, "pdfplumber"))
            except Exception as exc:  # noqa: BLE001 - a damaged page stream
                raise BrokenPDF(f"unreadable PDF page {number} ({_one_line(exc)})") from None
            finally:
                page.close()
    return found


def fast_tables(layer: PageLayer, number: int) -> list[PdfTable] | None:
    """pdfplumber's table finder run on pdfium's chars and lines; None when this page cannot be
    placed confidently, and pdfplumber must read it (see `placement_doubt`)."""
    if layer.reason is not None:
        return None
    from pdfplumber.table import TableFinder

    tables = TableFinder(layer).tables
    if any(placement_doubt(table.cells, layer.chars) for table in tables):
        return None
    return list(_page_tables(layer, tables, number, "pdfium"))


WORD_GAP = 3.0  # pt: pdfplumber starts a new word (a space in the cell) past this gap
EDGE_DOUBT = 0.5  # pt: vertical positions agree to float rounding


def placement_doubt(cells: list[tuple], chars: list[dict]) -> str | None:
    """Why a table read from pdfium's text layer might not be cell for cell pdfplumber's reading,
    or None. Both put a glyph in the cell holding the middle of its box and split words at a
    WORD_GAP gap; the tops agree, but a glyph's right edge may be off by its `width_doubt`
    (parsers/pdf_layer.py). So the reading is in doubt when a glyph inside the table lies in no
    cell, or its middle is within half that doubt of its cell's left or right side (EDGE_DOUBT of
    its top or bottom), or when two glyphs of a line in a cell are within that doubt of a word break.
    (Not caught: character spacing over WORD_GAP inside a text object set in a font that is not
    embedded and that pdfium measures 2 pt wider than its widths say.)"""
    by_mid = sorted(((ch["top"] + ch["bottom"]) / 2, (ch["x0"] + ch["x1"]) / 2, i) for i, ch in enumerate(chars))
    mids = [m[0] for m in by_mid]
    x0, top, x1, bottom = (min(c[0] for c in cells), min(c[1] for c in cells),
                           max(c[2] for c in cells), max(c[3] for c in cells))
    placed = 0
    for cx0, ctop, cx1, cbottom in cells:
        lo, hi = bisect.bisect_left(mids, ctop), bisect.bisect_left(mids, cbottom)
        own = [chars[i] for mid_y, mid_x, i in by_mid[lo:hi] if cx0 <= mid_x < cx1]
        placed += len(own)
        for ch in own:
            doubt = ch["width_doubt"] / 2
            mid_x, mid_y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            if not (cx0 + doubt <= mid_x < cx1 - doubt and ctop + EDGE_DOUBT <= mid_y < cbottom - EDGE_DOUBT):
                return f"glyph {ch['text']!r} on a cell edge"
        if reason := _gap_doubt(own):
            return reason
    lo, hi = bisect.bisect_left(mids, top), bisect.bisect_left(mids, bottom)
    if placed != sum(1 for _, mid_x, _ in by_mid[lo:hi] if x0 <= mid_x < x1):
        return "a glyph inside the table in no cell"
    return None


def _gap_doubt(chars: list[dict]) -> str | None:
    """Two glyphs of one line within the width doubt of a word break (lines as pdfplumber makes
    them: tops within its tolerance, WORD_GAP)."""
    chars = sorted(chars, key=lambda ch: (ch["top"], ch["x0"]))
    lines: list[list[dict]] = []
    for ch in chars:
        if lines and ch["top"] - lines[-1][0]["top"] <= WORD_GAP:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    for line in lines:
        line.sort(key=lambda ch: ch["x0"])
        for a, b in zip(line, line[1:], strict=False):
            doubt = a["width_doubt"]
            if abs(b["x0"] - a["x1"] - WORD_GAP) <= doubt and a["text"].strip() and b["text"].strip():
                return f"gap between {a['text']!r} and {b['text']!r} near a word break"
    return None


def _page_tables(page, tables, number: int, reader: str) -> Iterator[PdfTable]:  # noqa: ANN001
    """PdfTables of one page (page: a pdfplumber Page or a PageLayer; tables: its table finder's)."""
    if not tables:
        return
    tops = [c["top"] for c in page.chars if c["text"].strip()]
    head, foot = page.height * HEADER_ZONE, page.height * (1 - FOOTER_ZONE)
    for index, table in enumerate(tables, start=1):
        grid = [[clean_cell(c) for c in row] for row in table.extract()]
        if not grid or not grid[0]:
            continue
        x0, top, x1, bottom = table.bbox
        above = any(head < t < top - 1 for t in tops)
        below = any(bottom + 1 < t < foot for t in tops)
        xs = sorted({cell[0] for cell in table.cells})
        if len(xs) != len(grid[0]):
            xs = []
        yield PdfTable(number, index, grid, not above, not below, xs, x1, reader)


def clean_cell(value: str | None) -> str | None:
    """None (covered by a merged cell) stays None; line breaks inside CJK text are dropped."""
    if value is None:
        return None
    return " ".join(_LINE_IN_CJK.sub("", value).split())


# ---- tables cut by a page break ----------------------------------------------------------------


def stitch(tables: list[PdfTable]) -> list[PdfTable]:
    """Repair each table that continues one from the previous page (same columns, nothing between)."""
    for prev, nxt in zip(tables, tables[1:], strict=False):
        if continues(prev, nxt):
            widen(prev, nxt.xs)
            widen(nxt, prev.xs)
            join_page_break(prev.grid, nxt.grid)
    return tables


def continues(prev: PdfTable, nxt: PdfTable) -> bool:
    """The next page's first table goes on with this one: its column edges are the same, except
    where one part has a merged cell over an edge the other part prints."""
    if not (nxt.page == prev.page + 1 and prev.ends_page and nxt.starts_page and prev.xs and nxt.xs):
        return False
    if abs(prev.right - nxt.right) > OUTER_TOLERANCE or abs(prev.xs[0] - nxt.xs[0]) > OUTER_TOLERANCE:
        return False
    small, large = sorted((prev.xs, nxt.xs), key=len)
    return all(_has_edge(large, x) for x in small[1:])


EDGE_TOLERANCE = 3.0  # inner column edges of two parts of one table
OUTER_TOLERANCE = 8.0  # its outer edges (pages are placed a few points apart)


def _has_edge(xs: list[float], x: float) -> bool:
    return any(abs(x - e) <= EDGE_TOLERANCE for e in xs)


def widen(table: PdfTable, xs: list[float]) -> None:
    """Give the table the columns of `xs`: an edge it does not print is inside a merged cell,
    so the column added there is None (covered) in every row."""
    if len(xs) <= len(table.xs):
        return
    own = [0] + [next((i for i, e in enumerate(table.xs) if abs(e - x) <= EDGE_TOLERANCE), None) for x in xs[1:]]
    table.grid = [[row[i] if i is not None else None for i in own] for row in table.grid]
    table.xs = list(xs)


def join_page_break(upper: list[list[str | None]], lower: list[list[str | None]]) -> None:
    """The explicit fill step at a page break (edits both grids in place)."""
    last, first = upper[-1], lower[0]
    if _split_row(last, first):
        upper[-1] = [_join(a, b) for a, b in zip(last, first, strict=True)]
        lower[0] = [None] * len(first)
        return
    if not (_is_data_row(last) and _is_data_row(first)):
        return  # a header row on either side: nothing continues across the break
    labels_after, above = _label_columns(first), _label_columns(last)
    for col, cell in enumerate(first):
        if col not in labels_after or _is_value(cell):
            break
        if cell == "":  # a vertical span continued from the previous page
            first[col] = None
        elif cell and _is_fragment(cell) and labels_after[col] and above.get(col) \
                and (origin := _origin_above(upper, col)) is not None:
            upper[origin][col] = f"{upper[origin][col]}{cell}"  # a merged label cut by the break
            first[col] = None


def _is_value(cell: str | None) -> bool:
    return cell is not None and cell.strip() != "" and is_value_text(cell)


def _is_fragment(text: str) -> bool:
    return not _NUMBERED.match(text)


def _label_columns(row: list[str | None]) -> dict[int, bool]:
    """The leading label columns of a row (up to its last text label before the first number)
    -> whether a text label follows later in the row."""
    last = -1
    for col, cell in enumerate(row):
        if _is_value(cell):
            break
        if cell and not is_value_text(cell):
            last = col
    texts = [c for c in range(last + 1) if row[c]]
    return {col: any(t > col for t in texts) for col in range(last + 1)}


def _origin_above(grid: list[list[str | None]], col: int) -> int | None:
    for r in range(len(grid) - 1, -1, -1):
        cell = grid[r][col]
        if cell is not None:
            return r if cell.strip() and not is_value_text(cell) else None
    return None


def _is_data_row(row: list[str | None]) -> bool:
    """Labels, then value cells (numbers, blanks, dashes) only: not a header row."""
    cols = _label_columns(row)
    rest = [c for c in row[len(cols):] if c is not None]
    return bool(rest) and all(is_value_text(c) for c in rest)


def _split_row(last: list[str | None], first: list[str | None]) -> bool:
    """One row printed in two parts: its label cut in two (the lower part is no row label on its
    own, joined it is), its numbers printed on one side only."""
    from parsers.records import label_key

    if any(_is_value(c) for c in last) and any(_is_value(c) for c in first):
        return False
    texts = [i for i in _label_columns(first) if first[i]]
    if not texts:
        return False
    col = texts[-1]
    lower, upper = first[col] or "", last[col] or ""
    if not upper or _is_value(upper) or not _is_fragment(lower):
        return False
    return label_key(upper + lower)[1] is not None and label_key(lower)[1] is None


def _join(a: str | None, b: str | None) -> str | None:
    if a is None and not b:
        return None
    return f"{a or ''}{b or ''}"


# ---- rows and pages ------------------------------------------------------------------------------


def table_rows(table: PdfTable) -> Iterator[RawRow]:
    for r, cells in enumerate(table.grid, start=1):
        row = cells_to_row(cells, f"page {table.page} table {table.index} row {r}")
        if row is not None:
            yield row


_PAGE = re.compile(r"\bpage (\d+)\b")


def pages_of(tables) -> dict[str, list[int]] | None:  # noqa: ANN001 - records.Tables
    """table name -> the pages its rows were read from (None unless the rows carry page numbers)."""
    found = {"t2": _pages(tables.t2.values()), "t3": _pages(tables.t3.values()),
             "t4": _pages([tables.t4] if tables.t4 is not None else [])}
    return found if any(found.values()) else None


def _pages(rows) -> list[int]:  # noqa: ANN001 - iterable of RawRow
    return sorted({int(p) for row in rows for p in _PAGE.findall(row.where)})
