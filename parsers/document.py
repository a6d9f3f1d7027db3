"""parse(): one document's bytes -> a checked Report, whatever shape it arrived in."""

from __future__ import annotations

import re
from collections import Counter

from parsers import records
from parsers.checks import run_checks
from parsers.labels import normalize_text, remove_controls
from parsers.metadata import text_to_metadata
from parsers.model import (
    BAD_CELL_KINDS,
    BAD_CELL_POLICIES,
    GLUED_POLICIES,
    BadCells,
    EmptyDocument,
    NotAReport,
    ParseError,
    Report,
    TooLarge,
    UnsupportedFormat,
)
from parsers.narrative import narrative_numbers
from parsers.pdf import pages_of
from parsers.rows import RawRow, grid_to_rows, text_to_rows
from parsers.sections import split_sections
from parsers.templates import t3_rows_for

MAX_BYTES = 32 * 1024 * 1024
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|table|div|p|meta|span)\b", re.I)
_MD_TABLE = re.compile(r"^\s*\|?\s*:?-{3,}", re.M)
_PRE2019 = ("政府信息公开情况统计表", "主动公开政府信息数", "主动公开文件数", "申请总数")


def sniff_format(raw: bytes) -> str:
    """What the bytes are, from their content (the file name is not trusted)."""
    head = raw[:4096].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in raw[:65536] else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: Word 97-2003 .doc and WPS .wps (read via LibreOffice)
        return "doc"
    if _HTML.search(head) and not head.startswith(b"{"):
        return "html"
    if head.count(b"\x00") * 50 > len(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"  # stray NULs in a text (removed before reading) do not make it binary
    return "text"


def decode_text(raw: bytes) -> str:
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace").lstrip("\ufeff")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    return str(best) if best is not None else raw.decode("utf-8", errors="replace")


def parse(raw: bytes, source: str = "", max_bytes: int = MAX_BYTES, bad_cells: str = "null",
          glued: str = "strict") -> Report:
    """Read one document. Never raises for bad input: the Report's `error` says what was wrong.

    bad_cells: what to do with cells that cannot be read (glued digits the arithmetic cannot
    decide, text where a number belongs): "null" keeps the report with those cells null and named
    in warnings; "fail" refuses the whole report (its `error` counts them by kind).
    glued: "strict" states a glued cell only when every reading the text allows (blank cells
    included) agrees; "assume-filled" reads the undecided ones as if no cell were blank, with kind
    `assumed` and a warning naming them (a guess, never the default).
    """
    if bad_cells not in BAD_CELL_POLICIES:
        raise ValueError(f"bad_cells must be one of {BAD_CELL_POLICIES}, not {bad_cells!r}")
    if glued not in GLUED_POLICIES:
        raise ValueError(f"glued must be one of {GLUED_POLICIES}, not {glued!r}")
    report = Report(source=source)
    try:
        _parse_into(report, raw, max_bytes, glued)
        if bad_cells == "fail":
            refuse_bad_cells(report)
    except ParseError as exc:
        report.error = f"{source or '<input>'}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one broken document must never stop a batch
        report.error = f"{source or '<input>'}: unexpected {type(exc).__name__}: {exc}"
    return report


def refuse_bad_cells(report: Report) -> None:
    bad = Counter(c.kind for c in report.cells if c.kind in BAD_CELL_KINDS)
    if bad:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(bad.items()))
        first = next(c for c in report.cells if c.kind in BAD_CELL_KINDS)
        raise BadCells(f"{counts} cell(s) could not be read (first: {first.table}.{first.key}); "
                       "policy bad_cells=fail")


def _parse_into(report: Report, raw: bytes, max_bytes: int, glued: str = "strict") -> None:
    if len(raw) > max_bytes:
        raise UnsupportedFormat(f"{len(raw) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    if not raw.strip():
        raise EmptyDocument("empty file")
    report.format = fmt = sniff_format(raw)
    limits: list[str] = []
    rows, text, title = document_to_rows(fmt, raw, limits)
    report.warnings += limits
    try:
        if not text.strip() and not rows:
            raise NotAReport("no text in the document")
        fill_report(report, rows, text, title, glued)
    except NotAReport:
        if limits:  # the tables were there, but past a size limit
            raise TooLarge(limits[0]) from None
        raise
    if limits and report.template is None:
        raise TooLarge(limits[0])


def document_to_rows(fmt: str, raw: bytes, limits: list[str] | None = None) -> tuple[list[RawRow], str, str | None]:
    """(rows, plain text through normalize_text, title) for each format this package reads;
    `limits` gets a line for each part left unread because it was over a size limit."""
    if fmt == "text":
        text = decode_text(raw)
        if _looks_binary(text):
            raise UnsupportedFormat("binary data, not a text report")
        text = normalize_text(remove_controls(text))
        rows = text_to_rows(text, normalized=True)
        if not _has_tables(rows) and text.lstrip()[:1] in "{[" and (inner := _script_html(text)):
            inner_rows, inner_text, _title = _html_rows(inner, limits if limits is not None else [])
            return inner_rows, inner_text, None  # a JSON document whose value is the report's HTML
        return rows, text, None
    rows, text, title = _read_format(fmt, raw, limits if limits is not None else [])
    return rows, normalize_text(text), title


def _script_html(text: str) -> str | None:
    from parsers.scripts import html_in_scripts

    return html_in_scripts(text)


def _html_rows(doc: str, limits: list[str]) -> tuple[list[RawRow], str, str | None]:
    """(rows, text, title) of an HTML page; `limits` gets the lines of tables left unread."""
    from parsers.html import read_html

    page = read_html(doc)
    limits += page.warnings
    return [r for i, g in enumerate(page.grids) for r in grid_to_rows(g, f"table {i + 1}")], page.text, page.title


def _has_tables(rows: list[RawRow]) -> bool:
    tables = records.rows_to_tables(rows)
    return len(tables.t3) >= 5 or bool(tables.t2)


def _read_format(fmt: str, raw: bytes, limits: list[str]) -> tuple[list[RawRow], str, str | None]:
    """(rows, plain text, title) of the formats read into grids."""
    if fmt == "html":
        from parsers.html import decode_html

        doc = remove_controls(decode_html(raw)[0])
        rows, text, title = _html_rows(doc, limits)
        if not _has_tables(rows) and (inner := _script_html(doc)):  # a body drawn from a script string
            inner_rows, inner_text, _title = _html_rows(inner, limits)
            if _has_tables(inner_rows):
                rows, text = inner_rows, text + "\n" + inner_text
        return rows, text, title
    if fmt == "pdf":
        from parsers.pdf import pdf_to_rows

        return pdf_to_rows(raw)
    if fmt == "docx":
        from parsers.docx import docx_to_rows

        return docx_to_rows(raw)
    if fmt == "doc":
        from parsers.doc import doc_to_rows

        return doc_to_rows(raw)
    if fmt == "binary":
        raise UnsupportedFormat("binary data, not a text, HTML, PDF or Word document")
    raise UnsupportedFormat(f"{fmt} documents are not read yet")


_CONTROL = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return len(_CONTROL.findall(sample)) > max(8, len(sample) // 50)


def fill_report(report: Report, rows: list[RawRow], text: str, title: str | None, glued: str = "strict") -> None:
    """Metadata, tables, checks and warnings of a document, from its rows and normalized text."""
    if report.format == "text" and _MD_TABLE.search(text):
        report.format = "markdown"
    report.narrative = narrative_numbers(text)
    report.sections = split_sections(text)
    meta = text_to_metadata(text, title)
    report.agency, report.published, report.index_no = meta.agency, meta.published, meta.index_no
    report.agency_printed = meta.agency_printed
    report.year = meta.year
    if meta.year_from == "publication year - 1":
        report.warnings.append(f"year: not printed; taken as publication year - 1 ({meta.year})")
    tables = records.rows_to_tables(rows)
    flat = "".join(text.split())
    if not has_template_tables(tables, flat):
        _no_tables(report, flat)
        return
    tables_to_cells(report, tables, rows, flat, glued)


def has_template_tables(tables: records.Tables, flat: str) -> bool:
    """A 2019/2021 report: 表三 rows, or 表二 rows under a template's 表二 headers."""
    if len(tables.t3) >= 5:
        return True
    return bool(tables.t2) and any(m in flat for marks in records.T2_MARKERS.values() for m in marks)


def _no_tables(report: Report, flat: str) -> None:
    if "信息公开" not in flat:
        raise NotAReport("no government information-disclosure report in the text")
    if report.year and report.year < 2019 or any(m in flat for m in _PRE2019):
        report.warnings.append("pre-2019 report: its statistics (if any) follow the old 政府信息公开情况统计表, "
                               "not the 2019/2021 tables; template left null")
    else:
        report.warnings.append("tables not found: no 表二/表三/表四 rows in the text (published as images?); "
                               "template left null, no numbers invented")


def tables_to_cells(report: Report, tables: records.Tables, rows: list[RawRow], flat: str,
                    glued: str = "strict") -> None:
    template, why = records.detect_template(flat, set(tables.t3), report.year)
    report.template = template
    if template is None:
        return
    if why.startswith("the year"):
        report.warnings.append(f"template: no distinctive 表二 header or （六） sub-row; taken from {why}")
    single_other = "other" in tables.t3 and not any(k.startswith("other.") for k in tables.t3)
    order = t3_rows_for(template, single_other)
    position = {id(row): i for i, row in enumerate(rows)}
    index = {k: position[id(row)] for k, row in tables.t3.items()}
    records.place_unlabeled(tables, order, index)
    reader = records.Reader(template, glued, report.narrative)
    records.read_t2(reader, tables)
    records.read_t3(reader, tables, order)
    records.read_t4(reader, tables)
    records.derive_blank_totals(reader)
    records.blank_warnings(reader)
    report.cells = reader.cells
    report.pages = pages_of(tables)
    report.extra_rows = tables.extra
    report.warnings += tables.warnings + reader.warnings
    report.checks = run_checks(report.cells)
    report.undecided = reader.undecided
