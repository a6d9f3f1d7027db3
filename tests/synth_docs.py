"""Synthetic reports of tests/synth.py rendered as PDF (reportlab, CJK CID font) and DOCX (python-docx).

Made-up agencies and numbers, laid out the way published PDFs and Word files are:

    raw = render_pdf(make_report("2021", 3), t4_header="vertical", break_t3="group", fragment=True)
    raw = render_docx(make_report("2019", 2))

PDF layouts (keyword options of render_pdf):
- t4_header: "plain" (one line), "two_line" (`结果` / `维持`), "vertical" (one character per line);
- break_t3: None, "group" (表三 continues on the next page, the break inside the （四） group: its
  merged label cell is cut in two, the top of the next page shows an empty continued cell), or "row"
  (one row printed in two parts: the first half of its label at the bottom of one page, the rest
  of the label and its numbers at the top of the next);
- fragment: with break_t3="group", the cut group label is printed in two pieces (`（四）无` | `法提供`);
- break_t2: 表二 continues on the next page, which starts with the header row of its third block;
- ruled=False: tables drawn without any lines (no table to find: the page text is all there is);
- a page number `- n -` in every footer; merged label cells as in the Word tables.
"""

from __future__ import annotations

import html
import io
from typing import Any

from tests.synth import T4_OUTCOME_LABELS, TCell, _blocks, _meta_pairs, expand_grid

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


# ---- PDF ---------------------------------------------------------------------------------------


def render_pdf(report: dict[str, Any], t4_header: str = "two_line", break_t3: str | None = None,
               fragment: bool = False, break_t2: bool = False, ruled: bool = True) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    styles = _styles()
    styles["ruled"] = ruled
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=60, bottomMargin=60,
                            title=report["title"])
    story: list[Any] = [_para(report["title"], styles["title"])]
    story += [_para(f"{k}：{v}", styles["body"]) for k, v in _meta_pairs(report) if v]
    for kind, payload in _blocks(report):
        if kind == "para":
            story.append(_para(payload, styles["body"]))
        elif kind == "heading":
            if payload.startswith("三"):
                story.append(PageBreak())  # 表三 starts a page, so a chosen break falls inside it
            story.append(_para(payload, styles["heading"]))
        else:
            name, rows = payload
            grid = _pdf_grid(rows, name, t4_header)
            if name == "t3" and break_t3:
                upper, lower = split_grid(grid, report, break_t3, fragment)
                story += [_table(upper, name, styles), PageBreak(), _table(lower, name, styles)]
            elif name == "t2" and break_t2:  # the next page starts with a block's header row
                cut = [r for r, row in enumerate(grid) if row[0] and row[0][0].startswith("第二十条")][2]
                story += [_table(grid[:cut], name, styles), PageBreak(), _table(grid[cut:], name, styles)]
            else:
                story.append(_table(grid, name, styles))
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=15, leading=22, alignment=1, spaceAfter=8),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=11, leading=18, spaceBefore=6),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=16, wordWrap="CJK"),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK", alignment=1),
    }


def _para(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(html.escape(text, quote=False).replace("\n", "<br/>"), style)


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(_font(), 9)
    canvas.drawCentredString(doc.pagesize[0] / 2, 30, f"- {doc.page} -")
    canvas.restoreState()


# A grid position: (text, kind, rowspan, colspan) at a span's origin, None where a span covers it.
Slot = tuple[str, str, int, int] | None


def _pdf_grid(rows: list[list[TCell]], name: str, t4_header: str) -> list[list[Slot]]:
    grid: list[list[Slot]] = []
    for line in expand_grid(rows):
        out: list[Slot] = []
        for slot in line:
            if slot is None or not slot[1]:
                out.append(None)
                continue
            cell = slot[0]
            text = _t4_text(cell.text, t4_header) if name == "t4" and cell.kind == "header" else cell.text
            out.append((text, cell.kind, cell.rowspan, cell.colspan))
        grid.append(out)
    return grid


def _t4_text(text: str, layout: str) -> str:
    flat = text.replace("\n", "")
    if layout == "vertical":
        return "\n".join(flat)
    if layout == "two_line" and flat in {v for v in T4_OUTCOME_LABELS.values()}:
        return flat if len(flat) < 2 else f"{flat[: len(flat) // 2]}\n{flat[len(flat) // 2:]}"
    return flat if layout == "plain" else text


def split_grid(grid: list[list[Slot]], report: dict[str, Any], where: str,
               fragment: bool) -> tuple[list[list[Slot]], list[list[Slot]]]:
    """表三 cut in two at a page break, spans clipped the way word processors print them."""
    keys = report["t3_rows"]
    if where == "row":
        cut = 3 + keys.index("carried_over")
        upper, lower = _clip(grid, cut)
        label = lower[0][0]
        head, tail = label[0][: len(label[0]) // 2], label[0][len(label[0]) // 2:]  # type: ignore[index]
        upper.append([(head, "label", 1, 3), None, None] + [("", "value", 1, 1)] * 7)
        lower[0][0] = (tail, "label", 1, 3)
        return upper, lower
    cut = 3 + keys.index("unable.needs_creation")
    return _clip(grid, cut, fragment)


def _clip(grid: list[list[Slot]], cut: int, fragment: bool = False) -> tuple[list[list[Slot]], list[list[Slot]]]:
    upper = [list(r) for r in grid[:cut]]
    lower = [list(r) for r in grid[cut:]]
    for r, row in enumerate(upper):
        for c, slot in enumerate(row):
            if slot is None or r + slot[2] <= cut:
                continue
            text, kind, rowspan, colspan = slot
            below = r + rowspan - cut
            head, tail = (text[: len(text) - 3], text[len(text) - 3:]) if fragment and c == 1 else (text, "")
            row[c] = (head, kind, cut - r, colspan)
            lower[0][c] = (tail, kind, below, colspan)
    return upper, lower


def _table(grid: list[list[Slot]], name: str, styles: dict[str, Any]) -> Any:
    from reportlab.platypus import Table, TableStyle

    width = len(grid[0])
    data = [[_cell_flowable(slot, styles) for slot in row] for row in grid]
    commands: list[Any] = [("FONT", (0, 0), (-1, -1), _font(), 7),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]
    if styles["ruled"]:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, "black"))
    for r, row in enumerate(grid):
        for c, slot in enumerate(row):
            if slot is not None and (slot[2] > 1 or slot[3] > 1):
                commands.append(("SPAN", (c, r), (c + slot[3] - 1, r + slot[2] - 1)))
    table = Table(data, colWidths=_widths(name, width), repeatRows=0)
    table.setStyle(TableStyle(commands))
    return table


def _cell_flowable(slot: Slot, styles: dict[str, Any]) -> Any:
    if slot is None:
        return ""
    text, kind, _, _ = slot
    return text if kind == "value" else _para(text, styles["cell"])


def _widths(name: str, width: int) -> list[float]:
    if name == "t3":
        return [52, 62, 129] + [36] * 7
    if name == "t4":
        return [33] * 15
    return [135] + [360 / (width - 1)] * (width - 1)


# ---- DOCX --------------------------------------------------------------------------------------


def render_docx(report: dict[str, Any]) -> bytes:
    """A Word document: title, header fields, paragraphs and the three tables with merged cells
    (gridSpan for column spans, vMerge for row spans)."""
    from docx import Document

    doc = Document()
    doc.add_paragraph(report["title"])
    for k, v in _meta_pairs(report):
        if v:
            doc.add_paragraph(f"{k}：{v}")
    for kind, payload in _blocks(report):
        if kind == "table":
            _docx_table(doc, payload[1])
        else:
            doc.add_paragraph(payload)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_table(doc: Any, rows: list[list[TCell]]) -> None:
    grid = expand_grid(rows)
    table = doc.add_table(rows=len(grid), cols=len(grid[0]))
    table.style = "Table Grid"
    for r, line in enumerate(grid):
        for c, slot in enumerate(line):
            if slot is None or not slot[1]:
                continue
            cell = slot[0]
            target = table.cell(r, c)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
            target.text = cell.text
