"""Logging for the command line: the library logs (logger names under `pipeline`), this module
decides where it goes.

- stderr: warnings and errors always; `-v` adds the run's steps and each site, `-vv` each
  request. With -v every line starts with a UTC timestamp. Long messages are wrapped on a
  terminal, never cut.
- `--log-file FILE`: every event at every level, appended as JSON lines
  `{"time", "level", "event", "site", "url", "message"}`; the library passes `event`, `site` and
  `url` in `extra=`.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["setup_logging", "ensure_logging", "JsonLines", "ConsoleFormatter", "wrap"]

_HANDLER_MARK = "_nianbao_cli"


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601 with milliseconds), level, event, site, url,
    message (and the exception, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.name,
            "site": getattr(record, "site", None),
            "url": getattr(record, "url", None),
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """`nianbao: message`, or with timestamps `2025-01-31T03:17:02Z warning site: message`;
    wrapped at the terminal's width when stderr is a terminal."""

    def __init__(self, timestamps: bool, width: int | None) -> None:
        super().__init__()
        self.timestamps = timestamps
        self.width = width

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        site = getattr(record, "site", None)
        if site and not message.startswith(site):
            message = f"{site}: {message}"
        if self.timestamps:
            when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            head = f"{when} {record.levelname.lower()} "
        else:
            head = "nianbao: "
        return wrap(head + message, self.width)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (it is swapped by test runners
    and by click's CliRunner)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        return


def wrap(text: str, width: int | None) -> str:
    """Wrapped at width (continuation lines indented), never cut; unchanged when width is None."""
    if not width:
        return text
    return "\n".join(textwrap.wrap(text, width=width, subsequent_indent="    ", break_long_words=False,
                                   break_on_hyphens=False)) or text


def setup_logging(verbose: int = 0, log_file: Path | None = None) -> None:
    """Configure the root logger once per command (earlier handlers of ours are replaced)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    console = _Stderr()
    console.setLevel(logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG)
    width = shutil.get_terminal_size((100, 24)).columns - 1 if sys.stderr.isatty() else None
    console.setFormatter(ConsoleFormatter(timestamps=verbose > 0, width=width))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(JsonLines())
        handlers.append(to_file)
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))
    # third-party chatter stays out of the log file unless it is a warning
    for noisy in ("urllib3", "filelock", "charset_normalizer", "pdfminer", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ensure_logging() -> None:
    """The default set-up (warnings on stderr) unless the `nianbao` group already configured it
    (a command invoked on its own, as in tests or from Python)."""
    if not any(getattr(h, _HANDLER_MARK, False) for h in logging.getLogger().handlers):
        setup_logging()
