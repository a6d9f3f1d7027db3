"""pipeline.collect.archive and pipeline.engine.lock: content-addressed bytes, the manifest, versions, resume,
leftovers of a killed run, and the run lock (also across processes and kill -9)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.collect.archive import (
    CHANGED,
    NEW,
    NOT_MODIFIED,
    Archive,
    FetchRecord,
    current_document_paths,
    document_versions,
    lock_path,
    superseded_paths,
    verify_archive,
)
from pipeline.engine.lock import LockHeld, run_lock
from pipeline.engine.orchestrate import iter_documents


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(archive: Archive, run_id: int, url: str, body: bytes, outcome: str, kind: str = "report",
        ext: str = "html") -> str:
    path = archive.store(body, sha(body), ext, kind)
    archive.record(run_id, FetchRecord(url=url, outcome=outcome, status=200, sha256=sha(body), path=path,
                                       kind=kind, report_url=url, etag=f'"{sha(body)[:6]}"'))
    return path


def test_bytes_are_stored_under_their_sha256_with_an_extension(tmp_path):
    with Archive(tmp_path) as archive:
        body = "示范县2023年政府信息公开工作年度报告".encode("gbk")
        path = archive.store(body, sha(body), "html", "report")
        assert path == f"archive/{sha(body)[:2]}/{sha(body)}.html"
        assert (tmp_path / path).read_bytes() == body
        assert archive.store(body, sha(body), "html", "report") == path  # idempotent
        page = archive.store(b"<html>list</html>", sha(b"<html>list</html>"), "html", "listing")
        assert page.startswith(".crawl/pages/")
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []


def test_versions_current_and_superseded(tmp_path):
    with Archive(tmp_path) as archive:
        run, resumed = archive.begin_run()
        assert not resumed
        v1 = put(archive, run, "http://a.gov.cn/r.html", b"<html>v1</html>", NEW)
        put(archive, run, "http://a.gov.cn/r.pdf", b"%PDF v1", NEW, "attachment", "pdf")
        v2 = put(archive, run, "http://a.gov.cn/r.html", b"<html>v2</html>", CHANGED)
        archive.record(run, FetchRecord(url="http://a.gov.cn/r.html", outcome=NOT_MODIFIED, status=304,
                                        sha256=sha(b"<html>v2</html>"), path=v2, kind="report"))
        latest = archive.latest("http://a.gov.cn/r.html")
        assert latest.sha256 == sha(b"<html>v2</html>") and latest.etag is None  # the 304 row carried none
        archive.finish_run(run, {})
    assert superseded_paths(tmp_path) == {tmp_path / v1}
    assert [p.name for p in current_document_paths(tmp_path)] == sorted(
        [f"{sha(b'<html>v2</html>')}.html", f"{sha(b'%PDF v1')}.pdf"])
    assert len(document_versions(tmp_path)) == 3 and (tmp_path / v1).is_file()  # the old version is kept


def test_an_unfinished_run_is_resumed_and_a_finished_one_is_not(tmp_path):
    with Archive(tmp_path) as archive:
        run, _ = archive.begin_run()
        put(archive, run, "http://a.gov.cn/x.html", b"<html>x</html>", NEW)
    with Archive(tmp_path) as archive:  # as after kill -9: the run never finished
        again, resumed = archive.begin_run()
        assert (again, resumed) == (run, True)
        done = archive.done_in_run(run, "http://a.gov.cn/x.html")
        assert done is not None and archive.read(done.path) == b"<html>x</html>"
        assert archive.done_in_run(run, "http://a.gov.cn/other.html") is None
        archive.finish_run(run, {"ok": True})
        assert archive.begin_run() == (run + 1, False)
        assert archive.begin_run(max_resume_age=0) == (run + 2, False)  # too old to resume: closed
        assert archive.query("SELECT COUNT(*) FROM runs WHERE finished_at IS NULL") == [(1,)]


def test_leftover_temp_files_are_removed_and_never_parsed(tmp_path):
    with Archive(tmp_path) as archive:
        put(archive, archive.begin_run()[0], "http://a.gov.cn/x.html", b"<html>x</html>", NEW)
    leftover = tmp_path / "archive" / "ab" / ".abc.html.123.456.tmp"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half")
    assert leftover not in list(iter_documents(tmp_path))
    with Archive(tmp_path) as archive:
        archive.begin_run()
    assert not leftover.exists()


def test_the_parse_side_sees_archived_documents_only(tmp_path):
    with Archive(tmp_path) as archive:
        run, _ = archive.begin_run()
        doc = put(archive, run, "http://a.gov.cn/x.html", b"<html>x</html>", NEW)
        put(archive, run, "http://a.gov.cn/list.html", b"<html>list</html>", NEW, kind="listing")
        names = {p.name for p in tmp_path.rglob("*") if p.is_file()}  # while open: -wal and -shm too
        assert {"manifest.sqlite", "manifest.sqlite-wal", "manifest.sqlite-shm"} <= names
        assert list(iter_documents(tmp_path)) == [tmp_path / doc]


def test_verify_archive_names_missing_and_altered_files(tmp_path):
    with Archive(tmp_path) as archive:
        run, _ = archive.begin_run()
        a = put(archive, run, "http://a.gov.cn/a.html", b"<html>a</html>", NEW)
        b = put(archive, run, "http://a.gov.cn/b.html", b"<html>b</html>", NEW)
    assert verify_archive(tmp_path) == []
    (tmp_path / a).write_bytes(b"tampered")
    (tmp_path / b).unlink()
    problems = verify_archive(tmp_path)
    assert len(problems) == 2 and any("missing" in p for p in problems) and any("do not match" in p for p in problems)


def test_the_run_lock_refuses_a_second_holder_and_frees_on_exit(tmp_path):
    path = lock_path(tmp_path)
    with run_lock(path):
        with pytest.raises(LockHeld) as err, run_lock(path):
            pass
        assert str(err.value).startswith(str(path)) and f"pid {os.getpid()}" in str(err.value)
    with run_lock(path):  # free again
        pass


def test_a_lock_held_by_a_killed_process_is_free(tmp_path):
    path = lock_path(tmp_path)
    code = ("import sys, time; from pipeline.engine.lock import run_lock\n"
            "with run_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld), run_lock(path):
            pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 5
    while True:
        try:
            with run_lock(path):
                break
        except LockHeld:
            assert time.monotonic() < deadline
            time.sleep(0.05)
