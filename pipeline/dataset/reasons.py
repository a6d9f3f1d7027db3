"""Why a document was rejected: its one-line error -> a reason counted in the run summary and in
`nianbao quality` (first match wins)."""

_REASONS = (
    ("over the", "too_large"),
    ("no such file", "missing"),
    ("is a directory", "unreadable"),
    ("not a regular file", "unreadable"),
    ("permission denied", "unreadable"),
    ("cannot read", "unreadable"),
    ("unexpected", "parser_error"),
    ("empty", "empty"),
    ("binary", "unsupported_format"),
    ("not read yet", "unsupported_format"),
    ("unsupported", "unsupported_format"),
    ("no text", "not_a_report"),
    ("no government", "not_a_report"),
)


def rejection_reason(error: str, source: str) -> str:
    message = error[len(source) + 1:] if error.startswith(f"{source}:") else error
    message = message.casefold()
    return next((reason for words, reason in _REASONS if words in message), "other")
