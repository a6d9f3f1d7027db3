"""The run: find the documents under the raw folder, parse each one in a bounded worker, hand the
records to the dataset stage; one run at a time (the run lock).

May use: pipeline.collect (the archive's manifest: which versions are superseded), pipeline.dataset
(records -> tables, export), parsers. Never click or the terminal.
"""
