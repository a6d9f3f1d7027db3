"""What every command shares: exit codes, one-line errors, sizes, the options of parse and run."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143  # 128 + the signal number, as a shell reports it
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}


class ByteSize(click.ParamType):
    """A size in bytes: 33554432, 512K, 32M, 1G (K/M/G are powers of 1024)."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", str(value))
        unit = m.group(2).upper() if m else None
        if m is None or unit not in _UNITS or int(m.group(1)) < 1:
            self.fail(f"{value!r} is not a size such as 33554432, 512K, 32M or 1G", param, ctx)
        return int(m.group(1)) * _UNITS[unit]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(exc: BaseException) -> NoReturn:
    """A library error as one line on stderr, exit 1."""
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        message = f"{exc.filename}: {exc.strerror}"
    else:
        message = str(exc) or type(exc).__name__
    click.echo(f"nianbao: error: {_one_line(message)}", err=True)
    raise click.exceptions.Exit(EXIT_FAILED)


class GuardedGroup(click.Group):
    """Turns an unexpected exception into one line on stderr (exit 1), unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"nianbao: unexpected error: {type(exc).__name__}: {_one_line(str(exc))} "
                       "(run with --debug for the traceback)", err=True)
            raise click.exceptions.Exit(EXIT_FAILED) from None


BAD_CELLS_OPTION = click.option(
    "--bad-cells", type=click.Choice(["null", "fail"]), default="null", show_default=True,
    help="Cells that cannot be read (glued digits the arithmetic cannot decide, text where a number "
         "belongs): 'null' keeps the report with those cells null and named in its warnings; 'fail' "
         "counts the report as one that could not be read (its error counts the cells by kind).")


GLUED_OPTION = click.option(
    "--glued", type=click.Choice(["strict", "assume-filled"]), default="strict", show_default=True,
    help="Digits glued together in page text (行政许可215…): 'strict' states a cell only when every "
         "reading the text allows (blank cells included) gives it, else null with kind 'undecided'; "
         "'assume-filled' takes the reading with no blank cell where that decides it, marked with kind "
         "'assumed' in the data and in the warnings (a guess: never the default).")


def _max_bytes_option() -> Callable[[Callable], Callable]:
    # the engine's limit is read when a command that uses it is loaded, not by `nianbao --help`
    from pipeline.engine.orchestrate import MAX_BYTES

    return click.option(
        "--max-bytes", type=ByteSize(), default=f"{MAX_BYTES // 1024**2}M", show_default=True,
        help="Refuse documents larger than SIZE (bytes, or with a K/M/G suffix: 512K, 32M). A refused "
             "file is judged by its size alone, never read, and counts as a document that could not be read.")


def __getattr__(name: str) -> Any:
    if name == "MAX_BYTES_OPTION":
        return _max_bytes_option()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_utf8_line(text: str) -> None:
    """One line on stdout in UTF-8 whatever the locale, flushed (so a reader sees each record at once)."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        click.echo(text)
        return
    sys.stdout.flush()
    binary.write(text.encode("utf-8") + b"\n")
    binary.flush()


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


