"""The run: find the documents under the raw folder, take unchanged ones from the parse cache, parse
the others in long-lived bounded workers (local, or on a Dask cluster), stream the records in order
to the dataset stage, publish a release; one run at a time (the run lock).

    document.py   one document: read (bounded), hash, remove control bytes, parse (runs in a worker)
    workers.py    long-lived worker processes with a time and memory limit per document
    executors.py  local workers or dask.distributed, results in the dataset's order
    cache.py      the parse cache (SQLite WAL) keyed by sha256, parser version and options
    orchestrate.py  the run; isolate.py one document in a bounded worker; lock.py the run lock

May use: pipeline.collect (the archive's manifest: which versions are superseded), pipeline.dataset
(records -> tables, releases), parsers. Never click or the terminal.
"""
