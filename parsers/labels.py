"""Label text normalized once (width, brackets, dots, quotes, spaces), then mapped to a key."""

from __future__ import annotations

import re
import unicodedata

# After NFKC, full-width ( ) . , " are already ASCII; these are the ones NFKC keeps.
_REPLACE = (("【", "("), ("】", ")"), ("〔", "("), ("〕", ")"), ("。", "."), ("“", '"'), ("”", '"'),
            ("\u00a0", " "), ("\u3000", " "))
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Unify width (NFKC), brackets, dots and quotes; keep white space (it may separate cells)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    for old, new in _REPLACE:
        if old in text:
            text = text.replace(old, new)
    return text


_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def remove_controls(text: str) -> str:
    """Control characters (NUL, BEL, ESC…) dropped before anything reads the text; tabs and line
    breaks (and \\v, \\f: white space) kept."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def normalize_label(text: str) -> str:
    """A label as compared: normalize_text without any white space or line breaks."""
    return _SPACE.sub("", normalize_text(text))


_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、,])")


def strip_numbering(label: str) -> str:
    """`(三)不予公开` -> `不予公开`, `2.重复申请` -> `重复申请` (on a normalized label)."""
    return _NUMBERING.sub("", label, count=1)
