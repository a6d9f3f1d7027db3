"""The parsers' version: what a cache of parsed records keys on, and what `nianbao --version` prints.

    PARSER_VERSION     bumped by hand when the records' meaning changes (a new field, a new rule)
    parser_version()   "<PARSER_VERSION>+<12 hex digits>": the digits hash the source of every module
                       of this package, so any change to a parser gives a new version even when
                       nobody bumped the constant (a stale cache would otherwise serve old records)

Reading this package's own source is the only file access here; documents are never read.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

__all__ = ["PARSER_VERSION", "parser_version", "sources_digest"]

PARSER_VERSION = "1"


@cache
def sources_digest() -> str:
    """sha256 over the names and bytes of parsers/*.py, sorted by name (12 hex digits)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def parser_version() -> str:
    return f"{PARSER_VERSION}+{sources_digest()}"
