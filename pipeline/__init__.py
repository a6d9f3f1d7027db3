"""The batch side of nianbao: fetch reports, archive their bytes, parse them, build the dataset.

One room per stage; imports point down only (no cycles, deferred imports included):

    pipeline.cli      the command line: the only code that knows click and the terminal
      -> pipeline.engine    the run: finding documents, bounded workers, executors, the run lock
        -> pipeline.collect   HTTP, crawl, link finding, the raw archive and its manifest, site adapters
        -> pipeline.dataset   records -> tables, crosswalk, agencies, checks, validation, export, load()
          -> parsers            bytes in, records out (imports nothing of pipeline)

The names below are imported on first use, so `import pipeline.cli` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load": "pipeline.dataset.loader", "DatasetMissing": "pipeline.dataset.loader",
    "DatasetInvalid": "pipeline.dataset.errors", "ExportError": "pipeline.dataset.errors",
    "read_frames": "pipeline.dataset.export", "write_frames": "pipeline.dataset.export",
    "SCHEMAS": "pipeline.dataset.schema", "records_to_frames": "pipeline.dataset.normalize",
    "PipelineError": "pipeline.engine.orchestrate", "RawDirMissing": "pipeline.engine.orchestrate",
    "RunSummary": "pipeline.engine.orchestrate", "iter_documents": "pipeline.engine.orchestrate",
    "parse_file": "pipeline.engine.orchestrate", "run_pipeline": "pipeline.engine.orchestrate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
