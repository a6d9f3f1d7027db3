"""`load("data/clean")`: the dataset's tables as DataFrames with their dtypes (Int64, Float64, string, boolean).

    from pipeline import load
    frames = load("data/clean")                 # {"reports": DataFrame, "cells": …, "comparable": …}
    frames["comparable"].groupby("year")["t3_new_received_total"].sum()
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline.dataset.export import FORMATS, read_frames


class DatasetMissing(Exception):
    """The folder holds no table of the dataset (run `nianbao run` first); one line."""


def load(clean_dir: str | os.PathLike[str] = "data/clean", fmt: str = "parquet") -> dict[str, pd.DataFrame]:
    """Every table written under clean_dir in `fmt` ("parquet", or "csv": the same content)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    folder = Path(clean_dir)
    if not folder.is_dir():
        raise DatasetMissing(f"{folder}: no such folder (run `nianbao run` first)")
    frames = read_frames(folder, fmt)
    if not frames:
        raise DatasetMissing(f"{folder}: no {fmt} table of the dataset here (run `nianbao run` first)")
    return frames
