"""`load("data/clean")`: the dataset's tables as DataFrames with their dtypes (Int64, Float64, string, boolean).

    from pipeline import load
    frames = load("data/clean")                      # the current release
    frames = load("data/clean", release="20250301T031700Z")   # a given one (data/clean/releases/<id>)
    frames["comparable"].groupby("year")["t3_new_received_total"].sum()

A folder that holds tables directly (written by `write_frames`, or an older nianbao) is read as it is.
A table written in one format only (`cells` is Parquet-first) is read from that format.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline.dataset.export import FORMATS, TABLES, read_table
from pipeline.dataset.release_dirs import RELEASES, current_release
from pipeline.dataset.schema import SCHEMAS


class DatasetMissing(Exception):
    """The folder holds no table of the dataset (run `nianbao run` first); one line."""


def dataset_folder(clean_dir: str | os.PathLike[str] = "data/clean", release: str | None = None) -> Path:
    """The folder whose tables load() reads: the given release, else the current one, else clean_dir."""
    folder = Path(clean_dir)
    if not folder.is_dir():
        raise DatasetMissing(f"{folder}: no such folder (run `nianbao run` first)")
    if release is not None:
        chosen = folder / RELEASES / release
        if not chosen.is_dir() or release.startswith("."):
            raise DatasetMissing(f"{folder}: no release {release!r} (see {folder / RELEASES})")
        return chosen
    return current_release(folder) or folder


def load(clean_dir: str | os.PathLike[str] = "data/clean", fmt: str = "parquet",
         release: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the current release under clean_dir (or of `release`) in `fmt` ("parquet", or
    "csv": the same content)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    folder = dataset_folder(clean_dir, release)
    frames = {}
    for name in TABLES:
        for chosen in (fmt, *(f for f in FORMATS if f != fmt)):
            if (folder / f"{name}.{chosen}").exists():
                frames[name] = read_table(folder / f"{name}.{chosen}", SCHEMAS[name])
                break
    if not frames:
        raise DatasetMissing(f"{folder}: no {fmt} table of the dataset here (run `nianbao run` first)")
    return frames
