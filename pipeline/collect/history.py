"""Reading the run history and the per-site status from the manifest, and the alert policy.

    run_history(raw_dir)           the runs, newest first (`nianbao runs`)
    site_status(raw_dir)           one entry per site ever crawled (`nianbao sites`)
    FailPolicy.parse("consecutive=3,share=20%")
    alerts(raw_dir, run_id, policy) the lines that make a fetch exit 1 (empty: exit 0)

A dead link (a report or attachment that failed while its site's start pages were read) is a
problem of the data, listed by `sites`; a site whose start pages cannot be read fails its run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from pipeline.collect.archive import Archive, manifest_path

__all__ = ["run_history", "site_status", "FailPolicy", "PolicyError", "alerts", "DEFAULT_POLICY"]

DEFAULT_POLICY = "consecutive=3,share=20%"
_RUN_COLUMNS = ("id", "command", "started_at", "finished_at", "duration", "exit_status", "interrupted", "sites",
                "sites_failed", "requests", "downloaded", "not_modified", "new_documents", "new_versions",
                "dead_links", "parsed", "cached", "parse_failed", "release_id")


def _open(raw_dir: str | os.PathLike[str]) -> Archive | None:
    return Archive(raw_dir) if manifest_path(raw_dir).is_file() else None


def run_history(raw_dir: str | os.PathLike[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Every run, newest first (at most `limit`); [] when there is no manifest."""
    archive = _open(raw_dir)
    if archive is None:
        return []
    with archive:
        rows = archive.query(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs ORDER BY id DESC"
                             + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
    runs = [dict(zip(_RUN_COLUMNS, row, strict=True)) for row in rows]
    for run in runs:
        run["interrupted"] = bool(run["interrupted"])
    return runs


def site_status(raw_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """One entry per site, by name: start_url, last_run, last_success, last_failure
    ({at, class, error} or None), consecutive_failures, reports_known, new_this_run (in its latest
    run), dead_links (of its latest run: url, status, class, error)."""
    archive = _open(raw_dir)
    if archive is None:
        return []
    with archive:
        rows = archive.query("SELECT site, run_id, start_url, finished_at, ok, error_class, error, new_documents "
                             "FROM site_runs ORDER BY site, run_id DESC")
        by_site: dict[str, list[tuple]] = {}
        for row in rows:
            by_site.setdefault(row[0], []).append(row)
        return [_status(archive, site, runs) for site, runs in sorted(by_site.items())]


def _status(archive: Archive, site: str, runs: list[tuple]) -> dict[str, Any]:
    latest = runs[0]
    success = next((r for r in runs if r[4]), None)
    failure = next((r for r in runs if not r[4]), None)
    streak = next((i for i, r in enumerate(runs) if r[4]), len(runs))
    return {
        "site": site, "start_url": latest[2], "last_run": latest[1],
        "last_success": success[3] if success else None,
        "last_failure": {"at": failure[3], "class": failure[5], "error": failure[6]} if failure else None,
        "consecutive_failures": streak,
        "reports_known": _reports_known(archive, site),
        "new_this_run": latest[7] or 0,
        "dead_links": _dead_links(archive, site, latest[1]),
    }


def _reports_known(archive: Archive, site: str) -> int:
    (count,) = archive.query("SELECT COUNT(DISTINCT COALESCE(report_url, url)) FROM fetches WHERE site = ? "
                             "AND sha256 IS NOT NULL AND kind IN ('report', 'report_page', 'attachment')",
                             (site,))[0]
    return int(count)


def _dead_links(archive: Archive, site: str, run_id: int) -> list[dict[str, Any]]:
    rows = archive.query("SELECT url, status, error_class, error FROM fetches WHERE site = ? AND run_id = ? "
                         "AND outcome = 'error' AND parent_url IS NOT NULL ORDER BY id", (site, run_id))
    return [{"url": u, "status": s, "class": c, "error": e} for u, s, c, e in rows]


# --- the alert policy -------------------------------------------------------------------------------------


class PolicyError(ValueError):
    """A --fail-on value that cannot be read; the message is one line."""


@dataclass(frozen=True)
class FailPolicy:
    """When a fetch needs a person (exit 1). 0 / None switch a rule off.

    consecutive: a site whose start pages failed this many runs in a row (this run included)
    share:       more than this fraction of this run's sites failed
    dead_links:  more than this many dead report links this run"""

    consecutive: int = 3
    share: float | None = 0.2
    dead_links: int | None = None

    @classmethod
    def parse(cls, text: str) -> FailPolicy:
        """`consecutive=3,share=20%`, `dead-links=10`, `any` (any failure at all), `never`."""
        text = text.strip().lower()
        if text == "never":
            return cls(consecutive=0, share=None, dead_links=None)
        if text == "any":
            return cls(consecutive=1, share=0.0, dead_links=0)
        values: dict[str, Any] = {"consecutive": 0, "share": None, "dead_links": None}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if key not in values or not value.strip():
                raise PolicyError(f"--fail-on: {part!r} is not one of consecutive=N, share=P%, dead-links=N, any, never")
            values[key] = _share(value) if key == "share" else _count(value, part)
        return cls(**values)

    def describe(self) -> str:
        rules = []
        if self.consecutive:
            rules.append(f"a site's start pages unreachable {self.consecutive} runs in a row")
        if self.share is not None:
            rules.append(f"more than {self.share:.0%} of the sites failing in one run")
        if self.dead_links is not None:
            rules.append(f"more than {self.dead_links} dead report links in one run")
        return "; ".join(rules) or "never"


def _count(value: str, part: str) -> int:
    if not value.strip().isdigit():
        raise PolicyError(f"--fail-on: {part!r}: expected a whole number")
    return int(value)


def _share(value: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", value)
    if m is None:
        raise PolicyError(f"--fail-on: share={value!r}: expected a percentage such as 20%")
    number = float(m.group(1))
    return number / 100 if m.group(2) or number > 1 else number


def alerts(raw_dir: str | os.PathLike[str], run_id: int, policy: FailPolicy) -> list[str]:
    """One line per rule of `policy` that this run crosses; [] when none (exit 0)."""
    archive = _open(raw_dir)
    if archive is None:
        return []
    with archive:
        results = archive.query("SELECT site, ok, error_class, dead_links FROM site_runs WHERE run_id = ?",
                                (run_id,))
    found: list[str] = []
    if policy.consecutive:
        streaks = {s["site"]: s for s in site_status(raw_dir)}
        for site, ok, _kind, _dead in results:
            status = streaks.get(site)
            if not ok and status and status["consecutive_failures"] >= policy.consecutive:
                last = status["last_failure"] or {}
                found.append(f"{site}: start pages unreachable {status['consecutive_failures']} runs in a row "
                             f"(last: {last.get('class')}: {last.get('error')})")
    failed = sum(1 for r in results if not r[1])
    if policy.share is not None and results and failed / len(results) > policy.share:
        found.append(f"{failed} of {len(results)} sites failed this run ({failed / len(results):.0%}, "
                     f"over {policy.share:.0%})")
    dead = sum(r[3] or 0 for r in results)
    if policy.dead_links is not None and dead > policy.dead_links:
        found.append(f"{dead} dead report links this run (over {policy.dead_links})")
    return found
