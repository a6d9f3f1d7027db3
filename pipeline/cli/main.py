"""The `nianbao` command group: every command registered on it, one module per group of commands."""

from __future__ import annotations

import logging
import sys

import click

from pipeline.cli.common import GuardedGroup
from pipeline.cli.dataset import compare_command, quality_command
from pipeline.cli.documents import parse_command, run_command
from pipeline.cli.fetch import fetch_command
from pipeline.cli.publish import publish_command, serve_command


@click.group(name="nianbao", cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True,
              help="On an unexpected error, show the full Python traceback (for bug reports) "
                   "instead of a one-line message.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn government information-disclosure annual reports (政府信息公开工作年度报告) into a
    checked dataset of their tables 表二, 表三 and 表四.

    \b
    nianbao parse FILE...   print one JSON record per document (nothing written)
    nianbao run             read every document under data/raw, write the dataset to data/clean

    Run `nianbao COMMAND --help` for the details of each.

    \b
    Exit status (every command):
      0  success
      1  a document could not be read, the dataset could not be written, or an unexpected error
      2  usage error (unknown option, missing argument, --raw folder missing...)
    """
    ctx.obj = {"debug": debug}
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="nianbao: %(message)s", stream=sys.stderr)



for command in (parse_command, run_command, fetch_command, compare_command, quality_command, publish_command,
                serve_command):
    main.add_command(command)
