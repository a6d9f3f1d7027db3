"""A PDF page's characters and ruling lines read with pypdfium2, in pdfplumber's coordinates.

pdfplumber reads a page by running pdfminer's interpreter in Python (30-60x slower than pdfium's
text layer); its table finder, though, only needs `page.edges` (ruling lines) and `page.chars`.
`PageLayer` gives it both from pdfium, built the way pdfminer builds them:

- chars: x0 at the glyph origin, top/bottom from the baseline, the font's descent and its size
  (pdfminer's box is one em tall); x1 at the next glyph's origin when the next glyph of the same
  text object follows on the line at most a point past pdfium's own box, else pdfium's box, whose
  width may differ from pdfminer's (`width_doubt`, used by parsers.pdf.placement_doubt). pdfium's
  generated characters (spaces and line breaks it infers) are not in the content stream: skipped.
- edges: every painted subpath, its points being the segment end points (Bezier control points
  dropped, a close goes back to the start); two points are a line, a closed axis-aligned
  four-sided one a rectangle (four edges), anything else a curve (one edge per straight piece).

`reason` is set (and the page must be read by pdfplumber instead) where this reading is not known
to be the same: a rotated or offset page, text not set upright, a glyph with no Unicode mapping,
a text object pdfium leaves out of its text layer however often it is asked, a glyph box far wider than its font size (character or word spacing, or
a text rise, that pdfium and pdfminer place differently), a diagonal line (pdfplumber makes a
vertical edge of it).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

WIDE_GLYPH = 1.5  # em: pdfium's box of a glyph this wide holds spacing pdfminer keeps out of it
SAME_LINE_SLACK = 1.0  # pt: the next glyph's origin this far past pdfium's box still ends this glyph
# How far a glyph's right edge (x1) may be from pdfminer's, by where it came from:
ORIGIN_WIDTH_DOUBT = 0.1  # pt: the next glyph's origin (character spacing under SAME_LINE_SLACK aside)
EMBEDDED_WIDTH_DOUBT = 0.25  # pt: pdfium's box from an embedded font's widths (0.19 pt seen)
GUESSED_WIDTH_DOUBT = 0.2  # em: pdfium's box from a stand-in for a font not embedded (0.18 em seen)


@dataclass
class PageLayer:
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    reason: str | None = None  # why this page must be read by pdfplumber instead

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


def page_layer(page, textpage) -> PageLayer:  # noqa: ANN001 - pypdfium2 PdfPage, PdfTextPage
    """Chars and edges of one page (textpage: that page's pypdfium2 text page). May take text
    objects off the page (see `_recover_dropped`): read the page's text before calling this."""
    width, height = _media_size(page)
    layer = PageLayer(width, height)
    layer.reason = _page_reason(page, width, height)
    if layer.reason is None:
        drawn = _walk_objects(page.raw, layer)
        if layer.reason is None:
            seen = _read_chars(textpage.raw, layer)
            if layer.reason is None and set(drawn) - seen:
                _recover_dropped(page.raw, layer, drawn, seen)
    return layer


MAX_ROUNDS = 4


def _recover_dropped(page_raw, layer: PageLayer, drawn: dict, seen: set[int]) -> None:  # noqa: ANN001
    """pdfium leaves a text object out of its text layer when it looks like one just drawn (its
    check for text printed twice as fake bold): with fonts it cannot measure, that includes a
    one-glyph line of a wrapped header (`商业企` / `业`). pdfminer keeps every object. So the objects
    already read are taken off the page and the text layer is read again, until every object has
    given its glyphs (or MAX_ROUNDS: the page is then left to pdfplumber)."""
    removed = []
    try:
        for _ in range(MAX_ROUNDS):
            for address in seen:
                obj, parent = drawn.pop(address)
                ok = pdfium_c.FPDFFormObj_RemoveObject(parent, obj) if parent is not None \
                    else pdfium_c.FPDFPage_RemoveObject(page_raw, obj)
                if not ok:
                    layer.reason = "text pdfium left out of its text layer"
                    return
                removed.append(obj)
            tp = pdfium_c.FPDFText_LoadPage(page_raw)
            try:
                seen = _read_chars(tp, layer)
            finally:
                pdfium_c.FPDFText_ClosePage(tp)
            if layer.reason is not None or not set(drawn) - seen:
                return
        layer.reason = "text pdfium left out of its text layer"
    finally:
        for obj in removed:
            pdfium_c.FPDFPageObj_Destroy(obj)


def _media_size(page) -> tuple[float, float]:  # noqa: ANN001
    box = page.get_mediabox()
    return box[2] - box[0], box[3] - box[1]


def _page_reason(page, width: float, height: float) -> str | None:  # noqa: ANN001
    if page.get_rotation() % 360:
        return "rotated page"
    media = page.get_mediabox()
    if media[0] or media[1] or tuple(page.get_cropbox()) != tuple(media):
        return "page box not at the origin, or cropped"
    return None


# ---- ruling lines ------------------------------------------------------------------------------

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _walk_objects(page_raw, layer: PageLayer) -> dict[int, tuple]:  # noqa: ANN001
    """Edges of every path (forms followed); returns the text objects drawn: address -> (object,
    the form holding it or None)."""
    texts: dict[int, tuple] = {}
    stack = [(pdfium_c.FPDFPage_GetObject(page_raw, i), _IDENTITY, None)
             for i in range(pdfium_c.FPDFPage_CountObjects(page_raw))]
    while stack and layer.reason is None:
        obj, outer, parent = stack.pop()
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts[_address(obj)] = (obj, parent)
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            _path_edges(obj, _compose(_matrix(obj), outer), layer)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = _compose(_matrix(obj), outer)
            stack += [(pdfium_c.FPDFFormObj_GetObject(obj, i), inner, obj)
                      for i in range(pdfium_c.FPDFFormObj_CountObjects(obj))]
    return texts


def _address(handle) -> int:  # noqa: ANN001
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _matrix(obj) -> _Matrix:  # noqa: ANN001
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    """inner then outer (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer  # noqa: N806
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_edges(obj, m: _Matrix, layer: PageLayer) -> None:  # noqa: ANN001
    for points, closed in _subpaths(obj, m, layer.height):
        _add_shape(points, closed, layer)


def _subpaths(obj, m: _Matrix, height: float) -> list[tuple[list[tuple[float, float]], bool]]:  # noqa: ANN001
    """Each subpath's points (page coordinates, y down) and whether it was closed."""
    x, y = ctypes.c_float(), ctypes.c_float()
    out: list[tuple[list[tuple[float, float]], bool]] = []
    bezier = 0
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier = (bezier + 1) % 3
            if bezier:  # a control point
                continue
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        px = m[0] * x.value + m[2] * y.value + m[4]
        point = (px, height - (m[1] * x.value + m[3] * y.value + m[5]))
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not out:
            out.append(([point], False))
        else:
            out[-1][0].append(point)
        if pdfium_c.FPDFPathSegment_GetClose(seg):
            out[-1] = (out[-1][0] + [out[-1][0][0]], True)
    return out


def _add_shape(points: list[tuple[float, float]], closed: bool, layer: PageLayer) -> None:
    """pdfminer's reading of one subpath: a line, a rectangle or a curve, as pdfplumber edges."""
    if len(points) > 3 and closed and points[-2] == points[0]:  # a redundant lineto before the close
        points = points[:-1]
    if len(points) < 2:
        return
    if len(points) == 2 or (len(points) == 3 and closed and points[2] == points[0]):
        p, q = points[0], points[1]
        if p[0] != q[0] and p[1] != q[1]:
            layer.reason = "diagonal line"
            return
        layer.edges.append(_edge(p, q, "line"))
        return
    if len(points) == 5 and points[0] == points[4] and _is_box(points):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = (min(xs), min(ys), max(xs), max(ys))
        corners = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
        layer.edges += [_edge(a, b, "rect_edge") for a, b in zip(corners, corners[1:] + corners[:1], strict=True)]
        return
    for p, q in zip(points, points[1:], strict=False):
        if p[0] == q[0] or p[1] == q[1]:
            layer.edges.append(_edge(p, q, "curve_edge"))


def _is_box(pts: list[tuple[float, float]]) -> bool:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
    return (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)


def _edge(p: tuple[float, float], q: tuple[float, float], kind: str) -> dict:
    x0, x1 = sorted((p[0], q[0]))
    top, bottom = sorted((p[1], q[1]))
    return {"object_type": kind, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": "v" if x0 == x1 else "h"}


# ---- characters ---------------------------------------------------------------------------------


def _read_chars(tp, layer: PageLayer) -> set[int]:  # noqa: ANN001 - FPDF_TEXTPAGE
    """Append the text layer's glyphs to layer.chars; returns the text objects they came from."""
    rect, m = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    fonts: dict[int, tuple[float, bool]] = {}
    seen: set[int] = set()
    previous: tuple[dict, int, float] | None = None  # the last char, its text object, its baseline
    for i in range(pdfium_c.FPDFText_CountChars(tp)):
        if pdfium_c.FPDFText_IsGenerated(tp, i):
            continue
        code = pdfium_c.FPDFText_GetUnicode(tp, i)
        if pdfium_c.FPDFText_HasUnicodeMapError(tp, i) or code in (0, 0xFFFD, 0xFFFE):
            layer.reason = "a glyph with no Unicode mapping"
            return seen
        obj = _address(pdfium_c.FPDFText_GetTextObject(tp, i))
        seen.add(obj)
        pdfium_c.FPDFText_GetMatrix(tp, i, m)
        if m.b or m.c or m.a <= 0 or m.d <= 0:
            layer.reason = "text not set upright"
            return seen
        pdfium_c.FPDFText_GetLooseCharBox(tp, i, rect)
        pdfium_c.FPDFText_GetCharOrigin(tp, i, ox, oy)
        size = pdfium_c.FPDFText_GetFontSize(tp, i) * m.d
        if rect.right - ox.value > WIDE_GLYPH * size or rect.right < ox.value:
            layer.reason = "a glyph box wider than its font size (spacing or positioning pdfium folds in)"
            return seen
        descent, embedded = _font_facts(tp, i, obj, fonts)
        bottom = layer.height - (oy.value + descent * size)
        char = {"text": chr(code), "x0": ox.value, "x1": rect.right, "top": bottom - size,
                "bottom": bottom, "doctop": bottom - size, "size": size, "upright": True,
                "width_doubt": EMBEDDED_WIDTH_DOUBT if embedded else GUESSED_WIDTH_DOUBT * size}
        if previous and previous[1] == obj and previous[2] == oy.value \
                and previous[0]["x0"] < ox.value <= previous[0]["x1"] + SAME_LINE_SLACK:
            previous[0]["x1"] = ox.value  # the origin of the next glyph ends this one
            previous[0]["width_doubt"] = ORIGIN_WIDTH_DOUBT
        layer.chars.append(char)
        previous = (char, obj, oy.value)
    return seen


def _font_facts(tp, i: int, obj: int, cache: dict[int, tuple[float, bool]]) -> tuple[float, bool]:  # noqa: ANN001
    """The font's descent per unit of font size (negative: where pdfminer puts a glyph's box), and
    whether the font is embedded (else pdfium measures glyphs of a stand-in font)."""
    if obj not in cache:
        font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(tp, i))
        value = ctypes.c_float()
        ok = font and pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), value)
        cache[obj] = (value.value / 1000 if ok else 0.0, bool(font) and bool(pdfium_c.FPDFFont_GetIsEmbedded(font)))
    return cache[obj]
