"""HTML pages: bytes to text, leaf tables to cell grids, visible text and title.

No I/O here: bytes or str in, plain data out. Each public function parses once with lxml's HTML
parser (libxml2, the one lxml.html uses), always from a decoded str: lxml fed the raw bytes of a
gb2312 page silently dropped rows.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from lxml import etree

from parsers.model import ParseError

Grid = list[list[str | None]]

# --- decoding -----------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9_:.\-]+)""", re.I)
_PRESCAN = 4096
# Every GB2312/GBK label is read as GB18030, its superset (a strict gb2312 decode fails on 镕).
_GB_LABELS = frozenset(
    {"gb2312", "gbk", "gb_2312-80", "gb_2312", "gb-2312", "x-gbk", "cp936", "ms936", "windows-936",
     "euc-cn", "x-euc-cn", "csgb2312", "chinese", "iso-ir-58", "csiso58gb231280", "gb18030"}
)

_WESTERN = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})


def decode_html(raw: bytes) -> tuple[str, str]:
    """(text, encoding): BOM, else declared charset, else UTF-8, GB18030, charset-normalizer."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace"), name
    declared = _declared_charset(raw)
    for name in _candidates(raw, declared):
        try:
            return raw.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(raw).best()
    if best is not None:
        return str(best), best.encoding
    return raw.decode("utf-8", errors="replace"), "utf-8"


def _declared_charset(raw: bytes) -> str | None:
    """The codec named by a <meta> charset in the first bytes, canonical, GB labels as gb18030."""
    match = _META_CHARSET.search(raw[:_PRESCAN])
    if match is None:
        return None
    name = canonical_charset(match.group(1).decode("ascii"))
    # As in browsers, a <meta> claiming UTF-16/32 (no BOM) means UTF-8.
    return "utf-8" if name and name.startswith(("utf-16", "utf-32")) else name


def canonical_charset(label: str) -> str | None:
    """A charset label as a Python codec name, every GB label (gb2312, gbk, x-gbk…) as gb18030;
    None when Python knows no such codec."""
    label = label.strip().lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if name in ("gb2312", "gbk") else name


def _candidates(raw: bytes, declared: str | None) -> list[str]:
    """Strict decodes to try, in order. Valid UTF-8 with non-ASCII bytes beats a stale declaration
    (real GBK text is practically never valid UTF-8), and a Western single-byte declaration goes
    last: latin-1 never fails, so trusting it would turn every Chinese page into mojibake."""
    order = ["utf-8", "gb18030"]
    if declared is None or declared == "utf-8" or (not raw.isascii() and _is_utf8(raw)):
        return order
    return [*order, declared] if declared in _WESTERN else [declared, *order]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- parsing ------------------------------------------------------------------------------

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_SCRIPTS = ("script", "style", "noscript", "template")
_INVISIBLE = (*_SCRIPTS, "head", "title")
_BLOCKS = (
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "nav", "aside", "address",
    "hr", "form", "fieldset", "figure", "figcaption", "main",
)
_TEXT_LINES = (*_BLOCKS, "table", "caption", "tr", "td", "th", "thead", "tbody", "tfoot")
_CELLS = frozenset({"td", "th"})
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_MAX_COLSPAN = 50
MAX_GRID_CELLS = 500_000  # positions of one table's grid, spans expanded: far past any real report


def _parse(doc: str) -> etree._Element | None:
    """One HTML parse of a decoded page (comments and PIs dropped), or None if it is empty."""
    doc = _XML_DECL.sub("", doc.lstrip("\ufeff"), count=1)
    # lxml's libxml2 HTML parser without lxml.html's element classes: the per-element class
    # lookup of lxml.html.HTMLParser costs more than the parse itself here.
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        return etree.fromstring(doc, parser)
    except (ValueError, etree.ParserError):
        return None


def _mark(root: etree._Element, tags: tuple[str, ...], sep: str) -> None:
    """Put `sep` before, at the start of and after every element with one of `tags`."""
    for el in root.iter(*tags):
        tail = el.tail
        el.tail = sep + tail if tail else sep
        if el.tag != "br":
            text = el.text
            el.text = sep + text if text else sep


def _squash(text: str) -> str:
    """Collapse white space (incl. NBSP, U+3000) to one space and strip; drop zero-width chars."""
    return " ".join(_ZERO_WIDTH.sub("", text).split())


def _cell_text(cell: etree._Element) -> str:
    """All text of a cell, inline runs joined as is (block marks already put in as spaces)."""
    return _squash(etree.tostring(cell, method="text", encoding=str, with_tail=False))


def _cells(tr: etree._Element) -> list[etree._Element]:
    return [c for c in tr if c.tag in _CELLS]


# --- tables -------------------------------------------------------------------------------

def html_to_grids(doc: str) -> list[Grid]:
    """One grid per leaf <table> (holding no other table), in document order.

    Spans are expanded: the origin cell holds the text, positions a span covers are None, a
    printed empty cell is "". Rows are padded with None to the widest row (no cell there)."""
    root = _parse(doc)
    if root is None:
        return []
    etree.strip_elements(root, *_SCRIPTS, with_tail=False)
    return _grids(root)


def html_to_grids_and_text(doc: str) -> tuple[list[Grid], str]:
    """html_to_grids and html_to_text from one parse of the page (what parse() needs)."""
    root = _parse(doc)
    if root is None:
        return [], ""
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    return _grids(root), _text(root)


def _grids(root: etree._Element) -> list[Grid]:
    grids = []
    for table in _leaf_tables(root):
        _mark(table, _BLOCKS, " ")
        grids.append(_expand(_table_rows(table)))
    return grids


def _leaf_tables(root: etree._Element) -> list[etree._Element]:
    return [t for t in root.iter("table") if t.find(".//table") is None]


def _table_rows(table: etree._Element) -> list[list[tuple[str, int, int]]]:
    """Rows of (text, rowspan, colspan); <tfoot> rows go last, as browsers draw them."""
    body, foot = [], []
    for tr in table.iter("tr"):
        row = [(_cell_text(c), _span(c.get("rowspan")), _span(c.get("colspan"), _MAX_COLSPAN))
               for c in _cells(tr)]
        (foot if tr.getparent().tag == "tfoot" else body).append(row)
    return body + foot


_LEADING_INT = re.compile(r"\s*\+?(\d+)")


def _span(value: str | None, cap: int | None = None) -> int:
    """A span attribute as an int >= 1 (bad or zero values read as 1), at most `cap`."""
    match = _LEADING_INT.match(value) if value else None
    n = max(int(match.group(1)), 1) if match else 1
    return min(n, cap) if cap else n


_FREE = object()  # a grid position no cell has claimed yet


class TableTooLarge(ParseError):
    """A table whose spans expand past MAX_GRID_CELLS positions (hostile or broken markup)."""


def _expand(rows: list[list[tuple[str, int, int]]]) -> Grid:
    """Lay cells out on a grid: origin gets the text, covered positions None."""
    grid: list[list] = [[] for _ in rows]
    budget = MAX_GRID_CELLS
    for r, cells in enumerate(rows):
        budget -= sum(min(rowspan, len(rows) - r) * colspan for _, rowspan, colspan in cells)
        if budget < 0:
            raise TableTooLarge(f"a table's cells and spans cover over {MAX_GRID_CELLS:,} positions; not read")
        line, c = grid[r], 0
        for text, rowspan, colspan in cells:
            while c < len(line) and line[c] is not _FREE:
                c += 1
            if rowspan == colspan == 1 and c == len(line):  # the common case, no span
                line.append(text)
                c += 1
                continue
            for covered in grid[r : r + rowspan]:  # slicing clamps the rowspan to the table
                _claim(covered, c, colspan)
            line[c] = text
            c += colspan
    width = max(map(len, grid), default=0)
    if width * len(grid) > MAX_GRID_CELLS:
        raise TableTooLarge(f"a table of {len(grid):,} rows × {width:,} columns is over {MAX_GRID_CELLS:,} positions; not read")
    return [[None if v is _FREE else v for v in line] + [None] * (width - len(line)) for line in grid]


def _claim(line: list, start: int, colspan: int) -> None:
    """Mark free positions start..start+colspan-1 of one row as covered (None)."""
    if len(line) < start + colspan:
        line.extend([_FREE] * (start + colspan - len(line)))
    for i in range(start, start + colspan):
        if line[i] is _FREE:
            line[i] = None


# --- text ---------------------------------------------------------------------------------

def html_to_text(doc: str) -> str:
    """Visible text, one line per block; each table row (of a leaf table) as `a | b | c |`."""
    root = _parse(doc)
    if root is None:
        return ""
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    return _text(root)


def _text(root: etree._Element) -> str:
    for tr in [tr for tr in root.iter("tr") if tr.find(".//table") is None]:
        _mark(tr, _BLOCKS, " ")
        line = _row_line(tr)
        tr.clear(keep_tail=True)
        tr.text = line
    _mark(root, _TEXT_LINES, "\n")
    lines = (_squash(line) for line in "".join(root.itertext()).splitlines())
    return "\n".join(line for line in lines if line)


def _row_line(tr: etree._Element) -> str:
    """`a | b | c |`, empty cells as a bare `|`; "" when every cell is empty."""
    texts = [_cell_text(c) for c in _cells(tr)]
    if not any(texts):
        return ""
    return " ".join(f"{t} |" if t else "|" for t in texts)


_HEAD_END = re.compile(r"</head\s*>", re.I)


def html_title(doc: str) -> str | None:
    """The <title> text, white space collapsed, or None when absent or empty."""
    head_end = _HEAD_END.search(doc)
    if head_end:  # parsing the head alone is enough in nearly every page, and much faster
        title = _find_title(doc[: head_end.start()])
        if title is not None:
            return title or None
    return _find_title(doc) or None


def _find_title(doc: str) -> str | None:
    """The first <title>'s squashed text ("" when empty), None when the page has none."""
    root = _parse(doc)
    title = None if root is None else root.find(".//title")
    return None if title is None else _squash("".join(title.itertext()))
