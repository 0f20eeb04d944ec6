"""Every user mistake gets one clear line and a non-zero exit, never a traceback; commands that
only read create no database and no folder."""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.conftest import run_cli


def _check(result, *words):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    assert all(w in result.stderr for w in words), result.stderr


@pytest.fixture
def good_db(tmp_path):
    db = tmp_path / "aggregator.db"
    run_cli(
        "--db", str(db), "crawl", "opintopolku_fi", "--replay", "tests/fixtures/opintopolku_fi/four_offerings/responses"
    )
    return db


@pytest.mark.parametrize("damage", ["random", "truncated", "zeroed"])
def test_a_damaged_database_is_named_not_a_traceback(good_db, damage):
    data = good_db.read_bytes()
    (good_db.parent / "aggregator.db-wal").unlink(missing_ok=True)
    good_db.write_bytes({"random": os.urandom(len(data)), "truncated": data[:1500], "zeroed": bytes(len(data))}[damage])
    for command in (
        ["coverage"],
        ["export", "--out", str(good_db.parent / "out")],
        ["snapshot", str(good_db.parent / "s.db")],
    ):
        _check(run_cli("--db", str(good_db), *command, check=False), str(good_db))
    assert not (good_db.parent / "out").exists()


def test_a_database_from_a_newer_version_is_refused_with_the_version(good_db):
    with sqlite3.connect(good_db) as conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) "
            "values ('nordic-course-aggregator', '9999_from_the_future', '2030-01-01')"
        )
    _check(run_cli("--db", str(good_db), "coverage", check=False), "newer version", "9999_from_the_future")


def test_a_renamed_column_is_named(good_db):
    with sqlite3.connect(good_db) as conn:
        conn.execute("alter table courses rename column provider_name to provider")
    _check(run_cli("--db", str(good_db), "coverage", check=False), "provider_name")


def test_read_only_commands_create_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    for command in (["coverage"], ["export"], ["serve"], ["snapshot", str(tmp_path / "s.db")]):
        _check(run_cli("--db", str(missing), *command, check=False), "no database at")
    _check(run_cli("--db", str(missing), "crawl", "opintopolku_fi", check=False), "does not exist")
    assert not (tmp_path / "no").exists()


def test_a_folder_as_database_a_bad_port_and_an_unwritable_export(good_db, tmp_path):
    _check(run_cli("coverage", check=False, env={"AGGREGATOR_DB": str(tmp_path)}), "is a folder")
    _check(run_cli("--db", str(good_db), "serve", "--port", "99999", check=False), "99999")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: make the target a file instead
            target = tmp_path / "a-file"
            target.write_text("x")
            out = target / "exports"
        else:
            out = locked / "exports"
        _check(run_cli("--db", str(good_db), "export", "--out", str(out), check=False), "Error")
    finally:
        locked.chmod(0o700)


def test_a_database_on_a_read_only_mount_is_named(good_db, mounted_tmpfs):
    import shutil
    import subprocess

    disk = mounted_tmpfs("20m")
    db = disk / "aggregator.db"
    shutil.copy(good_db, db)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    crawl = run_cli(
        "--db",
        str(db),
        "crawl",
        "opintopolku_fi",
        "--replay",
        "tests/fixtures/opintopolku_fi/four_offerings/responses",
        check=False,
    )
    _check(crawl, "Read-only file system")
    for command in (["coverage"], ["export", "--out", str(good_db.parent / "out")]):
        _check(run_cli("--db", str(db), *command, check=False), str(db), "read-only mount")


def _one_line(result, *words):
    """A refused command: a non-zero exit, no traceback, the words on its one "Error:" line."""
    _check(result, *words)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), result.stderr


def test_no_export_writes_over_a_file_or_a_folder_it_did_not_make(good_db, tmp_path):
    precious = tmp_path / "notes.md"
    precious.write_bytes(b"# my notes\n" + os.urandom(64))
    kept = precious.read_bytes()
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("\\chapter{One}")
    for command in (
        ["export", "--out", str(precious)],
        ["nightly", "--no-models", "--export-dir", str(precious)],
        ["export", "--out", str(foreign)],
        ["nightly", "--no-models", "--export-dir", str(foreign)],
    ):
        runs = sqlite3.connect(good_db).execute("select count(*) from crawl_runs").fetchone()[0]
        _one_line(run_cli("--db", str(good_db), *command, check=False), command[-1])
        assert sqlite3.connect(good_db).execute("select count(*) from crawl_runs").fetchone()[0] == runs  # no crawl
    assert precious.read_bytes() == kept and not (tmp_path / "notes.md.previous").exists()
    assert [p.name for p in foreign.iterdir()] == ["chapter1.tex"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")) == []
    # an empty folder, and an export folder made by this project, are replaced by the new export
    empty = tmp_path / "exports"
    empty.mkdir()
    for _ in range(2):
        run_cli("--db", str(good_db), "export", "--out", str(empty))
        assert (empty / "datapackage.json").exists() and (empty / "courses.csv").exists()
    (empty / "my-analysis.py").write_text("import pandas")
    _one_line(run_cli("--db", str(good_db), "export", "--out", str(empty), check=False), "my-analysis.py")
    assert (empty / "my-analysis.py").read_text() == "import pandas"


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["-a", "keywrd=akku"], ["opintopolku_fi takes no argument 'keywrd'", "keyword"]),
        (["-a", "incremental=maybe"], ["incremental=1"]),
        (["--timeout", "-5"], ["--timeout", "-5"]),
        (["-s", "DOWNLOAD_TIMEOUT=abc"], ["DOWNLOAD_TIMEOUT", "number"]),
        (["-s", "ROBOTSTXT_OBEY=perhaps"], ["ROBOTSTXT_OBEY", "yes or no"]),
        (["-s", "DOWNLOAD_TIMEOUT"], ["NAME=VALUE"]),
        (["--base-url", "http://127.0.0.1:9/"], ["nothing answers at 127.0.0.1:9", "--base-url"]),
    ],
)
def test_a_crawl_with_a_mistake_is_refused_in_one_line_before_anything_runs(tmp_path, arguments, words):
    from click.testing import CliRunner

    from aggregator.cli import main

    # in this process (the checks import Scrapy once, not once per case); as `aggregator crawl`
    db = tmp_path / "aggregator.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", "opintopolku_fi", *arguments])
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), result.output
    assert "Traceback" not in result.output and not db.exists()


def test_good_crawl_arguments_and_settings_pass_the_checks():
    from aggregator.mistakes import setting_problem, spider_argument_problem, spider_class

    for spider, arguments in {
        "opintopolku_fi": ["keyword=akku", "incremental=1", "region=kunta_564"],
        "susanavet_se": ["incremental=no", "municipalities=2480", "updated_since=2026-01-01"],
        "plannededucations_se": ["api_version=v3", "base_url=http://127.0.0.1:1"],
    }.items():
        assert spider_argument_problem({spider: spider_class(spider)}, arguments) is None, spider
    # every spider of a crawl gets every argument: one that some of them take is not a mistake
    registers = {name: spider_class(name) for name in ("opintopolku_fi", "susanavet_se", "plannededucations_se")}
    assert spider_argument_problem(registers, ["incremental=1"]) is None
    problem = spider_argument_problem(registers, ["incremental=1", "api_verison=v3"])
    assert "api_verison" in problem and "api_version" in problem
    assert setting_problem(["DOWNLOAD_TIMEOUT=2.5", "ROBOTSTXT_OBEY=False", "CONCURRENT_REQUESTS=4"]) is None
    assert setting_problem(["AGGREGATOR_ANYTHING=x", 'ITEM_PIPELINES={"a.B": 1}']) is None


def test_a_snapshot_onto_its_own_database_is_refused(tmp_path):
    good_db = tmp_path / "aggregator.db"
    with sqlite3.connect(good_db) as conn:
        conn.execute("create table courses (id text primary key)")
    kept = good_db.read_bytes()
    for command in (["snapshot", str(good_db)], ["nightly", "--no-models", "--snapshot", str(good_db)]):
        _one_line(run_cli("--db", str(good_db), *command, check=False), "is the database itself")
    assert good_db.read_bytes() == kept
    assert not (good_db.parent / "settings.json").exists() and not (good_db.parent / "inspect-data.json").exists()


def test_run_sh_with_a_missing_replay_folder_stops_instead_of_serving_the_old_database(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO

    # run.sh as it is, in a copy of the project whose setup step and command are stand-ins: the
    # command is the real `aggregator` (python -m aggregator.cli), which also notes each call
    shutil.copy(REPO / "run.sh", tmp_path / "run.sh")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "setup-venv.sh").write_text("true\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    calls = tmp_path / "calls"
    command = tmp_path / ".venv" / "bin" / "aggregator"
    command.write_text(
        f'#!/bin/sh\necho "$1" >> {calls}\ncd {REPO} && exec {sys.executable} -m aggregator.cli --db {tmp_path}/a.db '
        f'"$@"\n'
    )
    command.chmod(0o755)
    done = subprocess.run(
        ["bash", str(tmp_path / "run.sh"), "--replay", str(tmp_path / "MISSING")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stderr
    assert "MISSING" in done.stderr and "does not exist" in done.stderr and "serving" not in done.stderr
    assert calls.read_text().split() == ["nightly"]  # never `serve`
