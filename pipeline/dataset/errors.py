"""The dataset's named errors: every one carries a one-line message that names the file or table."""


class ExportError(Exception):
    """The dataset could not be written; the message is one line and names the file."""


class DatasetInvalid(ExportError):
    """The tables break their schema (pipeline.dataset.validate); nothing was written, the previous dataset stays."""
