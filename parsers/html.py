"""HTML pages: bytes to text, leaf tables to cell grids, visible text and title.

No I/O here: bytes or str in, plain data out. Each public function parses once with lxml's HTML
parser (libxml2, the one lxml.html uses), always from a decoded str: lxml fed the raw bytes of a
gb2312 page silently dropped rows.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

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


# --- reading a page: one parse, one walk --------------------------------------------------
#
# libxml2 parses the page (lxml's HTML parser, the one lxml.html uses); one XSLT pass (libxslt, in C)
# then walks the tree once and writes the visible text, with every <tr> that holds no table as a
# record: its cells' span attributes and texts, between marks no page can contain (Unicode
# noncharacters, replaced in the page beforehand). Python only splits that stream and lays the cells
# of each leaf table out on a grid. Walking the tree from Python cost more than the parse itself (a
# Python object per element, text marks written into the tree). (Selectolax's lexbor parser is
# faster than libxml2 but builds an HTML5 tree, not libxml2's, and gives no cheap way to the block
# breaks inside cells.) One reading differs from the Python walk it replaced: a <tr> nested inside
# another <tr> (broken markup only) is text of the outer row's cell, not a grid row of its own.

TABLE, TABLE_END, ROW, ROW_END, CELL, SEP = "\ufdd0\ufdd1\ufdd2\ufdd3\ufdd4\ufdd5"
_OWN_MARKS = re.compile("[\ufdd0-\ufdd5]")
_CELL_RECORD = re.compile(f"{CELL}([^{SEP}]*){SEP}([^{SEP}]*){SEP}([^{CELL}]*)")
# Tables and rows that hold a table are renamed before the walk (cheaper than asking every row).
_OUTER_TABLE, _OUTER_ROW = "nianbao-outer-table", "nianbao-outer-row"
_STREAM = re.compile(f"([{TABLE}{TABLE_END}{ROW}{ROW_END}])")

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_INVISIBLE = ("script", "style", "noscript", "template", "head", "title")
_BLOCKS = (
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "nav", "aside", "address",
    "hr", "form", "fieldset", "figure", "figcaption", "main",
)
_TEXT_LINES = (*_BLOCKS, "table", "caption", "tr", "td", "th", "thead", "tbody", "tfoot", _OUTER_TABLE, _OUTER_ROW)
_MAX_COLSPAN = 50
MAX_GRID_CELLS = 200_000  # grid positions of one table, spans expanded: far past any real report
MAX_PAGE_CELLS = 1_000_000  # of all the tables of one page

# Text mode: blocks and table parts start and end a line. A <tr> (holding no table: the others are
# renamed) is one record, `f` after ROW when it sits in a <tfoot>; a <table> is a grid (TABLE…TABLE_END).
# Cell mode (inside such a row): blocks and <br> are one space; inline runs join as they are; the
# cell's text is then squashed there: white space to one space (_XML_SPACES as str.split() sees it,
# but for the few that XML cannot hold: _ODD_SPACE), zero-width characters dropped.
_XML_SPACES = "\t\n\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000"
_ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ZERO_WIDTH = re.compile(f"[{_ZERO_WIDTH_CHARS}]")
_ODD_SPACE = re.compile("[\v\f\x1c-\x1f]")
_SQUASH_CELL = "normalize-space(translate($text, '{}', '{}'))".format(
    "".join(f"&#{ord(ch)};" for ch in _XML_SPACES + _ZERO_WIDTH_CHARS), " " * len(_XML_SPACES))
_STYLESHEET = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="utf-8"/>
<xsl:template match="{'|'.join(_INVISIBLE)}"/>
<xsl:template match="{'|'.join(_INVISIBLE)}" mode="cell"/>
<xsl:template match="{'|'.join(_TEXT_LINES)}"><xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text></xsl:template>
<xsl:template match="table"><xsl:text>&#10;</xsl:text>{TABLE}<xsl:apply-templates/>{TABLE_END}<xsl:text>&#10;</xsl:text></xsl:template>
<xsl:template match="tr">{ROW}<xsl:if test="parent::tfoot">f</xsl:if><xsl:for-each select="td|th">{CELL}<xsl:value-of select="@rowspan"/>{SEP}<xsl:value-of select="@colspan"/>{SEP}<xsl:variable name="text"><xsl:apply-templates mode="cell"/></xsl:variable><xsl:value-of select="{_SQUASH_CELL}"/></xsl:for-each>{ROW_END}</xsl:template>
<xsl:template match="{'|'.join(_BLOCKS)}" mode="cell"><xsl:text> </xsl:text><xsl:apply-templates mode="cell"/><xsl:text> </xsl:text></xsl:template>
</xsl:stylesheet>"""
_WALK = etree.XSLT(etree.fromstring(_STYLESHEET))

Cell = tuple[str, int, int]  # (text, rowspan, colspan) of one printed cell


class NestedTooDeep(ParseError):
    """Markup nested deeper than the walk can follow (libxml2 already stops at 2,047 levels)."""


@dataclass
class HtmlPage:
    grids: list[Grid]  # one per leaf table, in document order
    text: str  # visible text, one line per block, a table row as `a | b | c |`
    title: str | None
    warnings: list[str] = field(default_factory=list)  # tables (or their last rows) not read, and why


def read_html(doc: str, max_grid_cells: int = MAX_GRID_CELLS, max_page_cells: int = MAX_PAGE_CELLS) -> HtmlPage:
    """The grids, visible text and title of a decoded page, from one parse and one walk.

    A table whose spans would lay out more than `max_grid_cells` grid positions keeps the rows read
    before that; once the page's tables reach `max_page_cells`, later tables are not read; both are
    named in `warnings`."""
    walked = _walk(doc)
    if walked is None:
        return HtmlPage([], "", None)
    stream, title = walked
    tables, text = _split_stream(_ZERO_WIDTH.sub("", stream))
    page = HtmlPage([], text, title)
    budget = max_page_cells
    for number, rows in enumerate(tables, start=1):
        if budget <= 0:
            page.warnings.append(f"html tables {number}-{len(tables)} not read: the page's tables cover "
                                 f"over {max_page_cells:,} grid positions")
            break
        limit = min(max_grid_cells, budget)
        grid, used = lay_out(rows, limit)
        if len(grid) < len(rows):
            page.warnings.append(f"html table {number}: rows {len(grid) + 1}-{len(rows)} not read: "
                                 f"its spans cover over {limit:,} grid positions")
        page.grids.append(grid)
        budget -= used
    return page


def _walk(doc: str) -> tuple[str, str | None] | None:
    """(the text-and-records stream of the page (see _STYLESHEET), its title), or None when the page
    is empty."""
    doc = _XML_DECL.sub("", doc.lstrip("\ufeff"), count=1)
    if _OWN_MARKS.search(doc):
        doc = _OWN_MARKS.sub("\ufffd", doc)
    # lxml's libxml2 HTML parser without lxml.html's element classes (their lookup costs more
    # than the parse); comments and PIs stay in the tree: the walk writes no text for them.
    parser = etree.HTMLParser(huge_tree=True)
    try:
        root = etree.fromstring(doc, parser)
    except (ValueError, etree.ParserError):
        return None
    if root is None:
        return None
    title = _title(root)
    for table in root.iter("table"):
        for outer in table.iterancestors("table", "tr"):
            outer.tag = _OUTER_TABLE if outer.tag == "table" else _OUTER_ROW
    try:
        return str(_WALK(root.getroottree())), title
    except etree.XSLTApplyError as exc:
        raise NestedTooDeep(f"HTML nested too deep to read ({str(exc)[:80]})") from None


def _title(root: etree._Element) -> str | None:
    """The first <title>'s text, white space squashed; None when there is none or it is blank."""
    title = next(root.iter("title"), None)
    if title is None:
        return None
    return _squash(_ZERO_WIDTH.sub("", "".join(title.itertext()))) or None


def _split_stream(body: str) -> tuple[list[list[list[Cell]]], str]:
    """(rows of each leaf table, <tfoot> rows last, as browsers draw them; the visible text)."""
    parts = _STREAM.split(body)
    odd = _ODD_SPACE.search(body) is not None
    pieces: list[str] = []
    tables: list[list[list[Cell]]] = []
    rows = foot = None
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == ROW:  # ROW, the record, ROW_END
            record = parts[i + 1]
            row = _row_cells(record, odd)
            if rows is not None:
                (foot if record.startswith("f") else rows).append(row)
            pieces.append(_row_line(row))
            i += 3
            continue
        if part == TABLE:
            rows, foot = [], []
        elif part == TABLE_END:
            if rows is not None:
                tables.append(rows + foot)
            rows = None
        else:
            pieces.append(part)
        i += 1
    return tables, _text_lines("".join(pieces))


def _text_lines(text: str) -> str:
    """The text's non-blank lines, each with its white space squashed."""
    lines = (_squash(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _row_line(row: list[Cell]) -> str:
    """The row as a line of text, `a | b | c |`, empty cells as a bare `|`; a line break alone when
    every cell is empty (the row still ends the line before it)."""
    if not any(text for text, _, _ in row):
        return "\n"
    return "\n" + " ".join(f"{text} |" if text else "|" for text, _, _ in row) + "\n"


def _row_cells(record: str, odd: bool) -> list[Cell]:
    """The (text, rowspan, colspan) of each cell of a row record (texts squashed by the walk, but
    for white space it could not see when `odd`)."""
    found = _CELL_RECORD.findall(record)
    if odd:
        found = [(rowspan, colspan, _squash(text)) for rowspan, colspan, text in found]
    return [(text, _span(rowspan) if rowspan else 1, _span(colspan, _MAX_COLSPAN) if colspan else 1)
            for rowspan, colspan, text in found]


def _squash(text: str) -> str:
    """Collapse white space (incl. NBSP, U+3000) to one space and strip."""
    return " ".join(text.split())


_LEADING_INT = re.compile(r"\s*\+?(\d+)")


def _span(value: str, cap: int | None = None) -> int:
    """A span attribute as an int >= 1 (bad or zero values read as 1), at most `cap`."""
    match = _LEADING_INT.match(value)
    n = max(int(match.group(1)), 1) if match else 1
    return min(n, cap) if cap else n


# --- grids --------------------------------------------------------------------------------

_FREE = object()  # a grid position no cell has claimed


def lay_out(rows: list[list[Cell]], limit: int = MAX_GRID_CELLS) -> tuple[Grid, int]:
    """(grid, positions used): the cells of a table laid out row by row, the origin of a span
    holding its text, the positions it covers None, a printed empty cell "".

    A row ends at its last cell or covered position (rows are not padded to the widest). A
    rowspan reaches at most the last row. Rows stop before the one that would take the grid
    past `limit` positions."""
    grid: Grid = []
    used = 0
    below: list[int] = []  # below[c]: how many of the next rows a span from above covers at column c
    for r, cells in enumerate(rows):
        room = limit - used
        if not below and all(rs == cs == 1 for _, rs, cs in cells):  # the common row: no span anywhere
            line: list | None = [text for text, _, _ in cells] if len(cells) <= room else None
        else:
            line, below = _span_row(cells, below, len(rows) - r, room)
        if line is None:
            break
        used += len(line)
        grid.append(line)
    return grid, used


def _span_row(cells: list[Cell], below: list[int], rows_left: int, room: int) -> tuple[list | None, list[int]]:
    """One row's line (None when it would be longer than `room`), and what its spans and those
    from above cover of the rows after it."""
    if len(below) > room:
        return None, below
    line = [None if n else _FREE for n in below]
    after = [n - 1 if n > 1 else 0 for n in below]
    c = 0
    for text, rowspan, colspan in cells:
        while c < len(line) and line[c] is not _FREE:
            c += 1
        end = c + colspan
        if end > room:
            return None, below
        if end > len(line):
            line.extend([_FREE] * (end - len(line)))
        for i in range(c + 1, end):
            if line[i] is _FREE:
                line[i] = None
        line[c] = text
        down = min(rowspan, rows_left) - 1
        if down > 0:
            if end > len(after):
                after.extend([0] * (end - len(after)))
            for i in range(c, end):
                after[i] = max(after[i], down)
        c = end
    while after and not after[-1]:
        after.pop()
    return [None if v is _FREE else v for v in line], after


def html_to_grids(doc: str) -> list[Grid]:
    """One grid per leaf <table> (holding no other table), in document order (see `lay_out`)."""
    return read_html(doc).grids


# --- text ---------------------------------------------------------------------------------

def html_to_text(doc: str) -> str:
    """Visible text, one line per block; each table row (of a leaf table) as `a | b | c |`."""
    return read_html(doc).text


def html_title(doc: str) -> str | None:
    """The first <title>'s text, white space collapsed, or None when absent or empty."""
    return read_html(doc).title
