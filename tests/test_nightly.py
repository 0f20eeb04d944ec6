"""The nightly job: history across runs, safety when a source fails, the plausibility alert, the
lock, and exports that round-trip."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlite_utils
from filelock import FileLock

from aggregator.export import PUBLIC_TABLES
from aggregator.export_columns import PROVIDER_KEY, PROVIDER_KEY_TABLES
from tests.conftest import FIXTURES, REPO, run_cli

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"
TOTEUTUS = "konfo-backend/external/toteutus"
SITEMAP = "konfo-backend/sitemap/toteutus-sitemap.xml"


def nightly(db_path, replay, *extra, check=True):
    return run_cli(
        "--db",
        db_path,
        "nightly",
        "--only",
        "opintopolku_fi",
        "--replay",
        str(replay),
        "--no-export",
        *extra,
        check=check,
    )


def edited_copy(tmp_path, name, edit):
    folder = tmp_path / name
    shutil.copytree(FOUR, folder)
    edit(folder)
    return folder


def _doc(folder, oid):
    return json.loads((folder / TOTEUTUS / oid).read_text("utf-8"))


def _put(folder, doc):
    (folder / TOTEUTUS / doc["oid"]).write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _sitemap(folder, oids):
    urls = "".join(f"<url><loc>https://opintopolku.fi/konfo/fi/toteutus/{o}</loc></url>" for o in oids)
    (folder / SITEMAP).write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>', "utf-8"
    )


OIDS = [f"1.2.246.562.17.0000000000000000910{i}" for i in (1, 2, 3, 4)]


def test_two_runs_count_new_changed_removed_and_record_the_changes(db_path, tmp_path):
    def second_night(folder):
        changed = _doc(folder, OIDS[1])
        changed["nimi"]["fi"] = "Akkutekniikan muuntokoulutus, Kokkola 2028"
        changed["metadata"]["opetus"]["maksullisuustyyppi"] = "maksullinen"
        _put(folder, changed)
        new = _doc(folder, OIDS[0])
        new["oid"] = "1.2.246.562.17.00000000000000009105"
        _put(folder, new)
        _sitemap(folder, [OIDS[0], OIDS[1], OIDS[2], new["oid"]])  # OIDS[3] withdrawn

    nightly(db_path, FOUR)
    output = nightly(db_path, edited_copy(tmp_path, "night2", second_night)).stdout
    db = sqlite_utils.Database(db_path)
    last = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert (last["new"], last["changed"], last["removed"], last["status"]) == (1, 1, 1, "finished")
    assert "opintopolku_fi" in output and "finished" in output
    changes = {(c["field"], c["old_value"], c["new_value"]) for c in db["course_changes"].rows}
    assert (
        "title",
        "Akkutekniikan muuntokoulutus, Kokkola 2027",
        "Akkutekniikan muuntokoulutus, Kokkola 2028",
    ) in changes
    assert ("fee_type", "maksuton", "maksullinen") in changes
    removed = db.execute("select source_id from courses where removed_at is not null").fetchall()
    assert removed == [(OIDS[3],)]
    assert db["courses"].count == 5  # nothing deleted


def test_a_source_failing_everywhere_marks_nothing_removed_and_fails_the_job(db_path, tmp_path):
    nightly(db_path, FOUR)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('[{"path": "/konfo-backend/*", "status": 500, "body": "down"}]', "utf-8")
    result = nightly(db_path, broken, check=False)
    assert result.returncode == 1
    assert "opintopolku_fi: failed" in result.stderr and "nothing marked removed" in result.stderr
    db = sqlite_utils.Database(db_path)
    assert db["courses"].count == 4
    assert db.execute("select count(*) from courses where removed_at is not null").fetchone()[0] == 0


def test_a_crawl_killed_midway_keeps_every_row_and_is_closed_as_failed_by_the_next_job(db_path, tmp_path):
    nightly(db_path, FOUR)
    slow = edited_copy(
        tmp_path,
        "slow",
        lambda f: (f / "manifest.json").write_text(
            json.dumps([{"path": f"/{TOTEUTUS}/{OIDS[2]}", "delay": 30, "body_file": f"{TOTEUTUS}/{OIDS[2]}"}]), "utf-8"
        ),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "aggregator.cli", "--db", db_path, "crawl", "opintopolku_fi", "--replay", str(slow)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db = sqlite_utils.Database(db_path)
    deadline = time.time() + 60
    while (
        time.time() < deadline
        and not db.execute("select count(*) from crawl_runs where status = 'running'").fetchone()[0]
    ):
        time.sleep(0.5)
    time.sleep(2)
    import os

    os.killpg(process.pid, signal.SIGKILL)  # the crawl and its spider process, mid-crawl
    process.wait()
    assert db.execute("select count(*) from crawl_runs where status = 'running'").fetchone()[0] == 1
    nightly(db_path, FOUR)
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert [r["status"] for r in runs] == ["finished", "failed", "finished"]
    assert "killed or crashed" in runs[1]["note"]
    assert db["courses"].count == 4
    assert db.execute("select count(*) from courses where removed_at is not null").fetchone()[0] == 0


def test_a_drop_to_ten_percent_is_flagged_and_marks_nothing_removed(db_path, tmp_path):
    many = [f"1.2.246.562.17.000000000000000095{i:02d}" for i in range(20)]

    def twenty(folder):
        template = _doc(folder, OIDS[0])
        for oid in many:
            _put(folder, {**template, "oid": oid})
        _sitemap(folder, many)

    nightly(db_path, edited_copy(tmp_path, "twenty", twenty))
    result = nightly(db_path, edited_copy(tmp_path, "two", lambda f: (twenty(f), _sitemap(f, many[:2]))), check=False)
    assert result.returncode == 1 and "below 50%" in result.stderr
    db = sqlite_utils.Database(db_path)
    last = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert last["status"] == "flagged" and last["items"] == 2
    assert db.execute("select count(*) from courses where removed_at is not null").fetchone()[0] == 0


def test_a_second_job_refuses_to_start_while_one_runs(db_path):
    with FileLock(f"{db_path}.nightly.lock", timeout=0):
        result = nightly(db_path, FOUR, check=False)
    assert result.returncode == 3 and "another nightly job or crawl is running" in result.stderr
    crawl = run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR), check=False)
    assert crawl.returncode == 0  # the lock was released


def test_no_job_starts_beside_a_crawl_process_that_is_still_writing(db_path):
    # what a crawl left behind by a killed job holds: the write lock
    with FileLock(f"{db_path}.write.lock", timeout=0):
        for command in (
            ["nightly", "--replay", str(FOUR), "--no-export"],
            ["crawl", "opintopolku_fi", "--replay", str(FOUR)],
        ):
            result = run_cli("--db", db_path, *command, check=False)
            assert result.returncode == 3 and "a crawl process is still writing" in result.stderr
            assert "Traceback" not in result.stderr


def test_exports_round_trip_and_the_published_snapshot(db_path, tmp_path):
    out = tmp_path / "exports"
    published = tmp_path / "published" / "aggregator.db"
    run_cli(
        "--db",
        db_path,
        "nightly",
        "--only",
        "opintopolku_fi",
        "--replay",
        str(FOUR),
        "--export-dir",
        str(out),
        "--snapshot",
        str(published),
    )
    db = sqlite_utils.Database(db_path)
    snapshot = sqlite_utils.Database(sqlite3.connect(f"file:{published}?immutable=1", uri=True))
    assert [r["id"] for r in snapshot["courses"].rows_where(order_by="id")] == [
        r["id"] for r in db["courses"].rows_where(order_by="id")
    ]
    assert (
        db.execute("select count(*) from sqlite_stat1 where idx like 'idx_courses_facets_%'").fetchone()[0] == 4
    )  # analyzed
    package = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert {s["spider"] for s in package["sources"]} == {"opintopolku_fi"}
    for table in PUBLIC_TABLES:
        columns = list(db[table].columns_dict)
        if table in PROVIDER_KEY_TABLES:  # the key of the listing's provider, worked out beside its id
            columns.insert(columns.index("provider_id") + 1, PROVIDER_KEY)
        count = db[table].count
        with open(out / f"{table}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == columns and len(rows) - 1 == count, table
        lines = (out / f"{table}.jsonl").read_text("utf-8").splitlines()
        assert len(lines) == count and (not lines or list(json.loads(lines[0])) == columns)
        parquet = pq.read_table(out / f"{table}.parquet")
        assert parquet.num_rows == count and parquet.column_names == columns
        resource = next(r for r in package["resources"] if r["path"] == f"{table}.csv")
        assert [f["name"] for f in resource["schema"]["fields"]] == columns
        assert all(f["description"] for f in resource["schema"]["fields"]), table
    # the values survive: the stored titles come back from every format
    titles = sorted(r["title"] for r in db["courses"].rows)
    assert sorted(pq.read_table(out / "courses.parquet").column("title").to_pylist()) == titles
    with open(out / "courses.csv", encoding="utf-8", newline="") as handle:
        assert sorted(r["title"] for r in csv.DictReader(handle)) == titles


def test_the_lock_files_beside_a_database_are_ignored_by_git():
    from store.files import job_lock, write_lock

    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    names = [Path(lock("aggregator.db").lock_file).name for lock in (job_lock, write_lock)]
    done = subprocess.run(["git", "check-ignore", *names], cwd=REPO, capture_output=True, text=True)
    assert done.stdout.split() == names
