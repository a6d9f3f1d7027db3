"""Parsers: bytes of one document -> a Report. No I/O here: callers read files and fetch pages.

    parse(raw, source)  ->  sniff format  ->  document_to_rows  ->  rows_to_tables  ->  tables_to_cells
                                                                   (+ metadata, checks)
"""

from __future__ import annotations

from parsers.document import parse, sniff_format
from parsers.model import Cell, EmptyDocument, NotAReport, ParseError, Report, UnsupportedFormat

__all__ = ["parse", "sniff_format", "Report", "Cell", "ParseError", "EmptyDocument", "NotAReport",
           "UnsupportedFormat"]
