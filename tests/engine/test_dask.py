"""`--executor dask`: a local dask.distributed cluster gives the same tables as the local workers."""

from __future__ import annotations

import pytest

from tests.engine.test_engine_run import corpus, dataset_files  # noqa: F401 - the module's corpus fixture

pytest.importorskip("distributed")


def test_dask_gives_the_tables_of_the_local_executor(corpus, tmp_path):  # noqa: F811
    from pipeline.engine.orchestrate import run_pipeline

    local = run_pipeline(corpus, tmp_path / "local", jobs=2, use_cache=False)
    dask = run_pipeline(corpus, tmp_path / "dask", jobs=2, executor="dask", use_cache=False)
    assert (dask.documents, dask.parsed, dask.failed) == (local.documents, local.parsed, local.failed) == (19, 18, 1)
    assert dataset_files(tmp_path / "dask") == dataset_files(tmp_path / "local")
