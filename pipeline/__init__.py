"""The batch side: documents on disk -> parsers.parse -> the dataset's tables (CSV and Parquet)."""

from pipeline.export import ExportError, read_frames, write_frames
from pipeline.normalize import SCHEMAS, records_to_frames
from pipeline.orchestrate import (
    PipelineError,
    RawDirMissing,
    RunSummary,
    iter_documents,
    parse_file,
    run_pipeline,
)

__all__ = ["ExportError", "PipelineError", "RawDirMissing", "RunSummary", "SCHEMAS", "iter_documents",
           "parse_file", "read_frames", "records_to_frames", "run_pipeline", "write_frames"]
