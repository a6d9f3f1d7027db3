"""The `nianbao` command group. Commands are registered by name and imported only when used, so
`nianbao --help`, `--version` and quick commands never load pandas, pandera or pdfplumber.

To add a command: one line in COMMANDS (module, attribute, short help). The short help is kept
here so the group's help needs no import; tests/cli check it matches the command's own.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from pipeline.cli.common import GuardedGroup

# name -> (module, attribute, short help shown by `nianbao --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "parse": ("pipeline.cli.documents", "parse_command",
              "Print one JSON record per document (exit 1 if any could not be read)."),
    "run": ("pipeline.cli.documents", "run_command", "Parse every document under --raw, write the dataset to --clean."),
    "fetch": ("pipeline.cli.fetch", "fetch_command", "Crawl government sites for annual reports into the raw archive."),
    "sites": ("pipeline.cli.history", "sites_command",
              "Per-site status: last success, last failure and why, reports, dead links."),
    "runs": ("pipeline.cli.history", "runs_command", "Run history, newest first: when, how long, exit, counts."),
    "compare": ("pipeline.cli.dataset", "compare_command", "Year-by-year table of one agency or of all agencies of a region."),
    "quality": ("pipeline.cli.dataset", "quality_command",
                "What did not add up, what was read with warnings, what failed and why."),
    "publish": ("pipeline.cli.publish", "publish_command",
                "Write the dataset as a SQLite database (for `serve`) and an Excel workbook."),
    "serve": ("pipeline.cli.publish", "serve_command", "Browse the published database in a web browser (Datasette)."),
}


class LazyGroup(GuardedGroup):
    """A group whose commands are imported on first use (see COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, attribute, _short = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2] if name in COMMANDS and name not in self.commands
                 else self.commands[name].get_short_help_str(limit=formatter.width))
                for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    from parsers.version import parser_version

    try:
        package = version("nianbao")
    except PackageNotFoundError:
        package = "unknown (not installed)"
    click.echo(f"nianbao {package} (parsers {parser_version()})")
    ctx.exit(0)


@click.group(name="nianbao", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the package version and the parsers' version (a cache of parsed records keys on it).")
@click.option("--debug", is_flag=True,
              help="On an unexpected error, show the full Python traceback (for bug reports) "
                   "instead of a one-line message.")
@click.option("-v", "--verbose", count=True,
              help="More on stderr, with timestamps: -v every site and the run's steps, -vv every request.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append every event (each request included) to this file as JSON lines: time, level, "
                   "site, url, event, message.")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int, log_file: Path | None) -> None:
    """Turn government information-disclosure annual reports (政府信息公开工作年度报告) into a
    checked dataset of their tables 表二, 表三 and 表四.

    \b
    nianbao parse FILE...   print one JSON record per document (nothing written)
    nianbao run             read every document under data/raw, write the dataset to data/clean
    nianbao fetch URL...    crawl sites into data/raw (see also: sites, runs)

    Run `nianbao COMMAND --help` for the details of each.

    \b
    Exit status (every command):
      0    success (for fetch and run: see their --fail-on)
      1    a document could not be read, the dataset could not be written, an alert threshold
           of --fail-on was crossed, or an unexpected error
      2    usage error (unknown option, missing argument, --raw folder missing...)
      75   another run holds the lock (fetch, run)
      130  stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM: the run is recorded as interrupted
    """
    from pipeline.cli.logs import setup_logging

    ctx.obj = {"debug": debug, "verbose": verbose, "log_file": log_file}
    try:
        setup_logging(verbose, log_file)
    except OSError as exc:
        raise click.BadParameter(f"{log_file}: {exc.strerror or exc}", param_hint="--log-file") from None
