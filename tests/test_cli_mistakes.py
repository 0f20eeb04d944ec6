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
