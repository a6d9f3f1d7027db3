"""The `nianbao` command through click's CliRunner: exit codes, JSON lines, help, run on a folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import cli
from pipeline.cli import documents
from pipeline.dataset.export import ExportError
from pipeline.dataset.normalize import SCHEMAS
from tests.conftest import sample_html
from tests.release import current


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    (tmp_path / "good.html").write_bytes(sample_html())
    (tmp_path / "empty.txt").write_bytes(b"")
    return tmp_path


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# ---------------------------------------------------------------- help


def test_help_names_both_commands_and_the_exit_codes(runner):
    result = runner.invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    for word in ("parse", "run", "Exit status", "usage error"):
        assert word in result.output


@pytest.mark.parametrize(("command", "words"), [
    ("parse", ("FILE...", "--max-bytes", "--pretty", "JSON", "Exit status", "error")),
    ("run", ("--raw", "--clean", "--max-bytes", "--format", "--quiet", "run.json", "reports", "cells",
             "Exit status", "data/raw", "data/clean", "parquet")),
])
def test_every_command_explains_itself(runner, command, words):
    result = runner.invoke(cli.main, [command, "--help"])
    assert result.exit_code == 0
    for word in words:
        assert word in result.output, word


def test_python_dash_m_pipeline_is_the_same_command():
    done = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "parse" in done.stdout and "run" in done.stdout


# ---------------------------------------------------------------- parse


def test_parse_prints_one_json_line_and_exits_0(runner, docs):
    path = str(docs / "good.html")
    result = runner.invoke(cli.main, ["parse", path])
    assert result.exit_code == 0, result.output
    [record] = lines(result.stdout)
    assert record["source"] == path and record["error"] is None
    assert record["template"] == "2019" and record["year"] == 2020
    assert record["t3"]["granted"]["total"] == 3 and record["agency"] == "示例县人民政府办公室"
    assert "示例县" in result.stdout  # not escaped


def test_parse_keeps_input_order_prints_failed_records_and_exits_1(runner, docs):
    paths = [str(docs / "empty.txt"), str(docs / "good.html"), str(docs / "missing.html")]
    result = runner.invoke(cli.main, ["parse", *paths])
    assert result.exit_code == 1
    records = lines(result.stdout)
    assert [r["source"] for r in records] == paths
    assert records[0]["error"] == f"{paths[0]}: empty file" and records[0]["t3"] is None
    assert records[1]["error"] is None
    assert records[2]["error"] == f"{paths[2]}: no such file"


def test_parse_a_missing_file_alone_exits_1_not_2(runner, tmp_path):
    result = runner.invoke(cli.main, ["parse", str(tmp_path / "nope.pdf")])
    assert result.exit_code == 1
    assert lines(result.stdout)[0]["error"].endswith("nope.pdf: no such file")


@pytest.mark.parametrize("args", [["parse"], ["parse", "--bogus", "x"], ["parse", "--max-bytes", "lots", "x"],
                                  ["parse", "--max-bytes", "0", "x"], ["nosuchcommand"]])
def test_usage_errors_exit_2(runner, args):
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_parse_max_bytes_refuses_larger_files(runner, docs):
    result = runner.invoke(cli.main, ["parse", "--max-bytes", "1K", str(docs / "good.html")])
    assert result.exit_code == 1
    assert "over the 1 KB limit" in lines(result.stdout)[0]["error"]


def test_parse_pretty_indents(runner, docs):
    result = runner.invoke(cli.main, ["parse", "--pretty", str(docs / "good.html")])
    assert result.exit_code == 0
    assert result.stdout.startswith('{\n  "source"') and json.loads(result.stdout)["template"] == "2019"


# ---------------------------------------------------------------- run


def make_raw(root: Path, bad: bool = True) -> None:
    raw = root / "data" / "raw"
    (raw / "county").mkdir(parents=True)
    (raw / "county" / "a.html").write_bytes(sample_html("甲县", 2019))
    (raw / "b.html").write_bytes(sample_html("乙市", 2020, granted=5))
    (raw / ".gitkeep").write_bytes(b"")
    if bad:
        (raw / "empty.txt").write_bytes(b"")


def test_run_with_the_default_folders(runner, tmp_path, monkeypatch):
    make_raw(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.main, ["run"])
    assert result.exit_code == 1
    assert result.stdout == ("3 documents: 2 parsed, 1 failed, 0 with failed checks; 3 read now, 0 from the cache "
                             "→ data/clean\n")
    assert result.stderr == "empty.txt: empty file\n"
    clean = tmp_path / "data" / "clean"
    assert sorted(p.name for p in clean.iterdir()) == [".cache", "CURRENT", "current", "releases"]
    written = sorted(p.name for p in current(clean).iterdir())
    assert written == sorted([f"{n}.{f}" for n in SCHEMAS for f in ("csv", "parquet") if (n, f) != ("cells", "csv")]
                             + ["codebook.csv", "datapackage.json", "run.json", "release.json", "CHANGES.md"])
    again = runner.invoke(cli.main, ["run"])
    release = current(clean).resolve().name
    assert again.stdout == (f"3 documents: 2 parsed, 1 failed, 0 with failed checks; nothing changed, release {release} "
                            "stays → data/clean\n")
    assert again.stderr == "empty.txt: empty file\n" and again.exit_code == 1


def test_run_exits_0_when_every_document_was_read(runner, tmp_path):
    make_raw(tmp_path, bad=False)
    clean = tmp_path / "out"
    result = runner.invoke(cli.main, ["run", "--raw", str(tmp_path / "data" / "raw"), "--clean", str(clean),
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 documents: 2 parsed, 0 failed") and result.stderr == ""
    assert sorted(p.suffix for p in current(clean).iterdir()) == [".csv"] * (len(SCHEMAS) + 1) + [".json"] * 3 + [".md"]
    run = json.loads((current(clean) / "run.json").read_text(encoding="utf-8"))
    assert run["summary"]["parsed"] == 2 and run["formats"] == ["csv"]


def test_run_quiet_prints_only_the_failures(runner, tmp_path):
    make_raw(tmp_path)
    result = runner.invoke(cli.main, ["run", "-q", "--raw", str(tmp_path / "data" / "raw"),
                                      "--clean", str(tmp_path / "clean")])
    assert result.exit_code == 1 and result.stdout == "" and result.stderr == "empty.txt: empty file\n"


def test_run_shows_a_progress_bar_only_on_a_terminal(runner, tmp_path, monkeypatch):
    make_raw(tmp_path, bad=False)
    args = ["run", "--raw", str(tmp_path / "data" / "raw"), "--clean", str(tmp_path / "clean")]
    monkeypatch.setattr(documents, "stderr_is_tty", lambda: True)
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 0 and "parsing" in result.stderr and "/2" in result.stderr
    monkeypatch.setattr(documents, "stderr_is_tty", lambda: False)
    assert runner.invoke(cli.main, args).stderr == ""


@pytest.mark.parametrize("args", [["run", "--raw", "nowhere"], ["run", "--format", "xlsx"], ["run", "--bogus"]])
def test_run_usage_errors_exit_2(runner, tmp_path, monkeypatch, args):
    make_raw(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 2 and result.stdout == ""
    assert not (tmp_path / "data" / "clean").exists()


def test_run_export_failure_is_one_line_and_exit_1(runner, tmp_path, monkeypatch):
    make_raw(tmp_path)

    def fail(*args, **kwargs):
        raise ExportError("out/cells.csv: cannot write: No space left on device")

    monkeypatch.setattr("pipeline.dataset.build._TableWriter.write", fail)
    result = runner.invoke(cli.main, ["run", "--raw", str(tmp_path / "data" / "raw"), "--clean", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == "nianbao: error: out/cells.csv: cannot write: No space left on device\n"


def test_an_unexpected_error_is_one_line_unless_debug(runner, tmp_path, monkeypatch):
    make_raw(tmp_path)

    def broken(*args, **kwargs):
        raise ValueError("something\nbroke")

    monkeypatch.setattr(documents, "run_pipeline", broken)
    args = ["run", "--raw", str(tmp_path / "data" / "raw"), "--clean", str(tmp_path / "o")]
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and "unexpected error: ValueError: something broke" in result.stderr
    debug = runner.invoke(cli.main, ["--debug", *args])
    assert isinstance(debug.exception, ValueError)
