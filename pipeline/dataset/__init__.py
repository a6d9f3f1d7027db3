"""The dataset: parsed records -> tables (normalize, schema), the derived tables (derive: comparable via
crosswalk, agencies, crosschecks via crossyear), validation (validate, datapackage), streamed
table building (build), release folders (release_dirs), writing and reading (export, loader), and what is read from the tables (compare, quality).

May use: parsers (the record model and the templates). Nothing of the engine, collect or the CLI.
"""
