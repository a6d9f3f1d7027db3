"""Datasette plugin loaded by `nianbao serve` (--plugins-dir): each report row links to its texts.

In the `reports` table, the `sections` cell (how many numbered sections the report has) becomes a
link to that report's rows of the `sections` table; `source_url` is already a link (Datasette
renders URLs as links). Imports nothing of nianbao: Datasette loads this file by path.
"""

from __future__ import annotations

from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup, escape


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table != "reports" or column != "sections" or not row or "report_id" not in row.keys():  # noqa: SIM118 - sqlite3.Row: `in` looks at values
        return None
    report_id = row["report_id"]
    href = f"{datasette.urls.table(database, 'sections')}?report_id={quote(str(report_id))}&_sort=number"
    return Markup(f'<a href="{escape(href)}">{escape(value)} 段正文</a>')
