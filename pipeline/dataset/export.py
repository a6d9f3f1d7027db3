"""Write the dataset's tables: every file to a temporary file beside it, then renamed into place.

All temporary files are written (and flushed to disk) before any is renamed, so a failure while
writing leaves the previous dataset whole and no temporary file behind; a crash can never leave a
half-written table under its real name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from pipeline.dataset.codebook import CODEBOOK_FILE, codebook_frame
from pipeline.dataset.datapackage import datapackage
from pipeline.dataset.errors import ExportError
from pipeline.dataset.schema import DATE, SCHEMAS, TIMESTAMP

FORMATS = ("csv", "parquet")
EXCEL = "excel"  # <table>.csv in UTF-8 with a BOM, so that Excel shows the Chinese text
WRITE_FORMATS = (*FORMATS, EXCEL)
TABLES = tuple(SCHEMAS)
SUMMARY_FILE = "run.json"
CSV_TIME = "%Y-%m-%dT%H:%M:%SZ"  # UTC times in the CSV files (whole seconds; Parquet holds the same)
DATAPACKAGE_FILE = "datapackage.json"


Writer = Callable[[IO[bytes]], None]


def write_frames(frames: dict[str, pd.DataFrame], clean_dir: str | os.PathLike[str],
                 formats: Iterable[str] = FORMATS, summary: dict[str, Any] | None = None,
                 package: dict[str, Any] | None = None, extra: dict[str, bytes] | None = None) -> list[Path]:
    """Write clean_dir/<name>.<format> for every frame, codebook.csv, datapackage.json describing them
    (with the bytes and sha256 of each file), run.json from `summary` and the `extra` files
    (name -> bytes, e.g. CHANGES.md, release.json); returns the paths.

    package: the datapackage's release fields (version, created, licence_spec, sources; see
    pipeline.dataset.datapackage.datapackage). The frames are validated first
    (pipeline.dataset.validate): tables that break their schema raise DatasetInvalid and nothing is
    written. Format "excel" writes <name>.csv with a UTF-8 BOM."""
    from pipeline.dataset.validate import validate_frames  # pandera is slow to import: only when writing

    formats = _check_formats(formats)
    validate_frames(frames)
    clean = Path(clean_dir)
    try:
        clean.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{clean}: cannot create the directory: {_reason(exc)}") from exc
    jobs: list[tuple[Path, Writer]] = [
        (clean / _file_name(name, fmt), _table_writer(frame, fmt))
        for name, frame in frames.items() for fmt in formats
    ]
    jobs.append((clean / CODEBOOK_FILE, _table_writer(codebook_frame(), "excel" if EXCEL in formats else "csv")))
    written = write_temps(jobs)
    try:
        files = {target.name: file_digest(temp) for temp, target in written}
        later: list[tuple[Path, Writer]] = []
        if described := [name for name in frames if name in SCHEMAS]:
            later.append((clean / DATAPACKAGE_FILE,
                          _json_writer(_descriptor(described, formats, package or {}, files))))
        if summary is not None:
            later.append((clean / SUMMARY_FILE, _json_writer(summary)))
        later += [(clean / name, _bytes_writer(data)) for name, data in (extra or {}).items()]
        written += write_temps(later)
    except BaseException:
        for temp, _target in written:
            _remove(temp)
        raise
    return rename_all(written)


def _descriptor(tables: list[str], formats: tuple[str, ...], package: dict[str, Any],
                files: dict[str, tuple[int, str]]) -> dict[str, Any]:
    fmt = "parquet" if formats == ("parquet",) else "csv"
    return datapackage(tables, fmt, excel=EXCEL in formats, files=files, **package)


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in WRITE_FORMATS]
    if unknown:
        raise ExportError(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    if "csv" in chosen and EXCEL in chosen:
        raise ExportError("formats 'csv' and 'excel' both write <table>.csv; choose one")
    return chosen


def _file_name(name: str, fmt: str) -> str:
    return f"{name}.{'csv' if fmt == EXCEL else fmt}"


def _table_writer(frame: pd.DataFrame, fmt: str) -> Writer:
    if fmt in ("csv", EXCEL):
        encoding = "utf-8-sig" if fmt == EXCEL else "utf-8"

        def write_csv(fh: IO[bytes]) -> None:
            frame.to_csv(fh, index=False, encoding=encoding, lineterminator="\n", date_format=CSV_TIME)
        return write_csv

    def write_parquet(fh: IO[bytes]) -> None:
        frame.to_parquet(fh, engine="pyarrow", index=False)
    return write_parquet


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """One DataFrame as a UTF-8 CSV file (temp + rename), e.g. the output of `nianbao compare --csv`."""
    return replace_all([(Path(path), _table_writer(frame, "csv"))])[0]


def _bytes_writer(data: bytes) -> Writer:
    def write_bytes(fh: IO[bytes]) -> None:
        fh.write(data)
    return write_bytes


def _json_writer(data: dict[str, Any]) -> Writer:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"

    def write_json(fh: IO[bytes]) -> None:
        fh.write(text.encode("utf-8"))
    return write_json


def replace_all(jobs: list[tuple[Path, Writer]]) -> list[Path]:
    """Write every job to a temporary file, then rename them all into place."""
    return rename_all(write_temps(jobs))


def write_temps(jobs: list[tuple[Path, Writer]]) -> list[tuple[Path, Path]]:
    """Every job written to a temporary file beside its target: [(temp, target)]; none left on failure."""
    written: list[tuple[Path, Path]] = []
    try:
        for target, write in jobs:
            written.append((_write_temp(target, write), target))
    except BaseException:
        for temp, _target in written:
            _remove(temp)
        raise
    return written


def rename_all(written: list[tuple[Path, Path]]) -> list[Path]:
    """Rename the temporary files into place (all removed if one rename fails)."""
    for temp, target in written:
        try:
            os.replace(temp, target)
        except OSError as exc:
            for left, _ in written:
                _remove(left)
            raise ExportError(f"{target}: cannot rename into place: {_reason(exc)}") from exc
    sync_dirs({t.parent for _, t in written})
    return [target for _, target in written]


def temp_path(target: Path) -> Path:
    """A hidden temporary name beside the target (same directory, so os.replace is atomic)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def _write_temp(target: Path, write: Writer) -> Path:
    temp = temp_path(target)
    try:
        with open(temp, "xb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        _remove(temp)
        if isinstance(exc, OSError):
            raise ExportError(f"{target}: cannot write: {_reason(exc)}") from exc
        if isinstance(exc, Exception) and not isinstance(exc, ExportError):
            raise ExportError(f"{target}: cannot write: {type(exc).__name__}: {_one_line(exc)}") from exc
        raise
    return temp


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def sync_dirs(dirs: Iterable[Path]) -> None:
    """Make the renames durable where the platform allows it (POSIX)."""
    for directory in dirs:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or _one_line(exc)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def read_frames(clean_dir: str | os.PathLike[str], fmt: str = "parquet") -> dict[str, pd.DataFrame]:
    """Read the dataset back with its dtypes (CSV is read with the schema, so both formats compare equal)."""
    clean = Path(clean_dir)
    return {name: read_table(clean / f"{name}.{fmt}", SCHEMAS[name]) for name in TABLES
            if (clean / f"{name}.{fmt}").exists()}


def read_table(path: Path, schema: dict[str, Any]) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path, engine="pyarrow").astype(schema)
    as_text = {c: ("string" if t in (DATE, TIMESTAMP) else t) for c, t in schema.items()}
    frame = pd.read_csv(path, dtype=as_text, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    for column, dtype in schema.items():
        if dtype in (DATE, TIMESTAMP) and column in frame:
            frame[column] = from_text(frame[column], dtype)
    return frame.astype(schema)


def from_text(column: pd.Series, dtype: Any) -> pd.Series:
    """A CSV column of ISO 8601 dates (YYYY-MM-DD) or UTC times (YYYY-MM-DDThh:mm:ssZ) as its dtype."""
    times = pd.to_datetime(column.astype(object), utc=True, format="ISO8601")
    if dtype == DATE:
        return pd.Series(pd.array([None if pd.isna(t) else t.date() for t in times], dtype=DATE), index=column.index)
    return times.astype(dtype)
