"""Report bodies that live in script strings, and the attachments those strings link.

Some CMSs ship the article as a JSON value or a JS string literal and draw it in the browser
(`window._CONFIG = {DETAIL: {content: "<table>…"}}`, `let content = "…"`), with `\\"`, `<\\/td>`
and `\\uXXXX` escapes. Pure functions: a decoded page (or a bare JSON/JS text) in, strings out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)
# A string literal: "…", '…' or `…`, escapes kept for unescape_js.
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`', re.S)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": "", "\r\n": ""}
_HAS_TABLE = re.compile(r"<\s*table\b|&lt;\s*table\b", re.I)
_ATTACHMENT = re.compile(r"""[^\s"'<>()\[\]{},;]+?\.(?:pdf|docx?|wps|xlsx?|et)(?:\?[^\s"'<>]*)?(?=$|[\s"'<>?#),;\]}])""",
                         re.I)
MAX_SCRIPT_CHARS = 8 * 1024 * 1024


def unescape_js(literal: str) -> str:
    """The value of a JS/JSON string literal's body: \\n, \\", \\/, \\uXXXX (surrogate pairs too), \\xXX."""
    if "\\" not in literal:
        return literal
    text = _ESCAPE.sub(_one_escape, literal)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _has_surrogates(text) else text


def _one_escape(m: re.Match[str]) -> str:
    code = m.group(1)
    if code.startswith("u{"):
        return chr(min(int(code[2:-1], 16), 0x10FFFF))
    if code.startswith(("u", "x")) and len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def script_texts(doc: str) -> list[str]:
    """The bodies of a page's <script> elements; a bare JSON or JS text is one body itself."""
    doc = doc[:MAX_SCRIPT_CHARS]
    bodies = _SCRIPT.findall(doc)
    if not bodies and doc.lstrip()[:1] in ("{", "[", "v", "l", "c", "w"):
        return [doc]
    return bodies


def script_strings(doc: str) -> Iterator[str]:
    """Every string literal of the page's scripts, unescaped."""
    for body in script_texts(doc):
        for m in _STRING.finditer(body):
            literal = next(g for g in m.groups() if g is not None)
            yield unescape_js(literal)


def html_in_scripts(doc: str) -> str | None:
    """The HTML held in script strings (those holding a <table>, in page order), as one page; None
    when there is none."""
    pieces = []
    for value in script_strings(doc):
        if _HAS_TABLE.search(value):
            pieces.append(value if "<" in value.replace("&lt;", "") else html.unescape(value))
    if not pieces:
        return None
    return "<html><body>" + "\n".join(pieces) + "</body></html>"


def attachment_links(doc: str) -> list[str]:
    """Links to attachments (pdf, doc, docx, wps, xls, xlsx, et) named in the page's script strings,
    in order, each once (as printed: relative links stay relative)."""
    seen: dict[str, None] = {}
    for value in script_strings(doc):
        for m in _ATTACHMENT.finditer(value):
            seen.setdefault(html.unescape(m.group(0)), None)
    return list(seen)
