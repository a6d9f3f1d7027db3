"""The command line (`nianbao …`, `python -m pipeline …`): the only code that knows click and the terminal.

May use: pipeline.engine (the run), pipeline.collect (fetching), pipeline.dataset (reading the tables).
Each command turns library errors into one line on stderr and an exit status; no work is done here.

    main.py       the `nianbao` group; every command by name, imported on first use (fast --help)
    common.py     exit codes, one-line errors, sizes, options shared by parse and run
    logs.py       logging: stderr lines with -v, JSON lines with --log-file
    documents.py  parse, run
    fetch.py      fetch (and the crawl options of run), the alert policy (--fail-on), signals
    history.py    runs, sites (the run history and per-site status kept in the manifest)
    dataset.py    compare, quality (and --excel)
"""

from pipeline.cli.main import main

__all__ = ["main"]
