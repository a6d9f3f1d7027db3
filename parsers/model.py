"""The report record every parser returns, and the errors parsers raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What a cell of the record was, as printed (the dataset keeps it beside the value).
NUMBER = "number"  # a printed number
BLANK = "blank"  # an empty cell, read as 0
DASH = "dash"  # —, -, /, _ : read as 0
NONE_TEXT = "none_text"  # 无 : read as 0
DERIVED = "derived"  # a blank total, computed from its parts
MISSING = "missing"  # not in the document: null
UNDECIDED = "undecided"  # glued digits with several readings the arithmetic cannot tell apart: null
UNREADABLE = "unreadable"  # text where a number belongs (见附件, 若干…): null
ASSUMED = "assumed"  # glued digits read with no blank cell, under glued="assume-filled" only (a guess)

CELL_KINDS = (NUMBER, BLANK, DASH, NONE_TEXT, DERIVED, MISSING, UNDECIDED, UNREADABLE, ASSUMED)
BAD_CELL_KINDS = (UNDECIDED, UNREADABLE)
BAD_CELL_POLICIES = ("null", "fail")  # keep the report with those cells null, or refuse the report
GLUED_POLICIES = ("strict", "assume-filled")  # glued digits: state only what the text decides, or guess no blanks


class ParseError(Exception):
    """A document that cannot be read at all; the message is one line naming the problem."""


class EmptyDocument(ParseError):
    """The input has no bytes, or only white space."""


class NotAReport(ParseError):
    """The input is readable but holds no annual-report text."""


class UnsupportedFormat(ParseError):
    """The input is binary or a format no parser here reads."""


class TooLarge(ParseError):
    """Parts of the input past a size limit (a table's grid, a page's tables) left it unreadable."""


class BadCells(ParseError):
    """Under the `fail` policy: cells that could not be read (undecided or unreadable)."""


@dataclass(slots=True)
class Cell:
    """One cell of 表二/三/四: where it sits, what was printed and what we read."""

    table: str  # "t2", "t3" or "t4"
    row: str  # canonical row key ("" for 表四, which has one row)
    col: str  # canonical column key
    value: int | float | None
    raw: str | None  # the printed text, None when the cell is missing
    kind: str  # one of CELL_KINDS
    page: int | None = None  # PDF: the page its row was read from
    label: str | None = None  # the row's printed label(s), ' / '-separated
    header: str | None = None  # the column header printed above it, where the header row lines up

    @property
    def key(self) -> str:
        return f"{self.row}.{self.col}" if self.row else self.col


@dataclass(slots=True)
class Section:
    """One numbered section of the report's prose (parsers.sections.split_sections)."""

    number: int  # 1 for 一、
    title: str  # as printed, without the numeral
    key: str | None  # the template's section it is (overview, proactive, requests, appeals, problems,
    #                  other_matters), None for a title of another kind
    text: str  # the prose, table lines left out

    def to_record(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "key": self.key, "text": self.text}


@dataclass
class Report:
    """What `parse` returns for one document (see the README's record section)."""

    source: str = ""
    format: str | None = None
    template: str | None = None
    year: int | None = None
    agency: str | None = None
    agency_printed: str | None = None  # the 发布机构 line as printed, when `agency` was taken from the title
    published: str | None = None
    index_no: str | None = None
    cells: list[Cell] = field(default_factory=list)
    extra_rows: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    narrative: dict[str, int] = field(default_factory=dict)  # numbers quoted in the prose (收到申请N件…)
    pages: dict[str, list[int]] | None = None  # PDF: table -> pages it was read from {"t3": [3, 4]}
    sections: list[Section] = field(default_factory=list)  # the numbered prose sections (parsers.sections)
    # Undecided glued cells: cell name (`t2.licensing.change`) -> the values its surviving readings give,
    # for a later stage (a twin rendering, last year's report) to settle. Empty when nothing is open.
    undecided: dict[str, list[int | float]] = field(default_factory=dict)

    def table(self, name: str) -> list[Cell]:
        return [c for c in self.cells if c.table == name]

    def t2(self) -> dict[str, Any]:
        return {c.key: c.value for c in self.table("t2")}

    def t3(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for c in self.table("t3"):
            rows.setdefault(c.row, {})[c.col] = c.value
        return rows

    def t4(self) -> dict[str, Any]:
        return {c.key: c.value for c in self.table("t4")}

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready record; table fields are null when the document could not be read."""
        failed = self.error is not None
        return {
            "source": self.source,
            "format": self.format,
            "template": self.template,
            "year": self.year,
            "agency": self.agency,
            "agency_printed": self.agency_printed,
            "published": self.published,
            "index_no": self.index_no,
            "t2": None if failed else self.t2(),
            "t3": None if failed else self.t3(),
            "t4": None if failed else self.t4(),
            "extra_rows": None if failed else self.extra_rows,
            "checks": None if failed else self.checks,
            "pages": None if failed else self.pages,
            "narrative": None if failed else self.narrative,
            "sections": None if failed else [s.to_record() for s in self.sections],
            "undecided": None if failed else self.undecided,
            "warnings": self.warnings,
            "error": self.error,
        }
