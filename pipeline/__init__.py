"""The batch side: documents on disk -> parsers.parse -> the dataset's tables (CSV and Parquet)."""

from pipeline.export import DatasetInvalid, ExportError, read_frames, write_frames
from pipeline.loader import DatasetMissing, load
from pipeline.normalize import SCHEMAS, records_to_frames
from pipeline.orchestrate import (
    PipelineError,
    RawDirMissing,
    RunSummary,
    iter_documents,
    parse_file,
    run_pipeline,
)

__all__ = ["DatasetInvalid", "DatasetMissing", "ExportError", "PipelineError", "RawDirMissing", "RunSummary", "SCHEMAS",
           "iter_documents", "load", "parse_file", "read_frames", "records_to_frames", "run_pipeline", "write_frames"]
