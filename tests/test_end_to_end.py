"""The whole path as a user runs it: `aggregator crawl` (a real Scrapy process) against the
replay server, rows in aggregator.db, visible and searchable in Datasette, downloadable as CSV."""

from __future__ import annotations

import csv
import io
import shutil

import sqlite_utils

from aggregator.replay import ReplayServer
from tests.conftest import FIXTURES, datasette_get, run_cli

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"


def crawl(db_path, replay_dir, check=True):
    return run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(replay_dir), check=check)


def test_crawl_twice_stores_once_and_records_two_runs(db_path):
    crawl(db_path, FOUR)
    db = sqlite_utils.Database(db_path)
    assert db["courses"].count == 4
    first = {r["id"]: r for r in db["courses"].rows}
    crawl(db_path, FOUR)
    assert db["courses"].count == 4
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert (runs[0]["new"], runs[1]["new"], runs[1]["unchanged"], runs[1]["changed"]) == (4, 0, 4, 0)
    assert runs[0]["not_found"] == 1  # the sitemap's unknown OID
    second = {r["id"]: r for r in db["courses"].rows}
    for cid, row in first.items():
        moved = {k for k in row if row[k] != second[cid][k]}
        assert moved <= {"last_seen", "last_run_id", "fetched_at"}, moved
        assert second[cid]["first_seen"] == row["first_seen"]
    assert db["course_changes"].count == 0
    source = db["sources"].get("opintopolku_fi")
    assert source["last_successful_run_id"] == runs[1]["id"]


def test_rows_are_visible_searchable_by_word_parts_and_downloadable(db_path):
    crawl(db_path, FOUR)
    page = datasette_get(db_path, "/aggregator/courses")
    assert page.status_code == 200
    assert "Akkutekniikan muuntokoulutus" in page.text
    # Finnish compounds: "akku" inside "Akkutekniikan" and "akkuteollisuuden"
    found = datasette_get(db_path, "/aggregator/courses.json?_search=akku&_shape=array&_col=title")
    titles = sorted(r["title"] for r in found.json())
    assert any("Akkutekniikan" in t for t in titles) and any("akkuteollisuuden" in t for t in titles)
    # inflected form inside a description: "akkujen" (batteries', genitive plural)
    assert datasette_get(db_path, "/aggregator/courses.json?_search=akkuje&_shape=array").json()
    response = datasette_get(db_path, "/aggregator/courses.csv?_search=akku&_size=max")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.status_code == 200 and len(rows) == len(titles)
    assert {"title", "municipality", "provider_name", "credits"} <= set(rows[0])


def test_a_crawl_that_is_a_bulk_load_ends_with_the_indexes_of_courses_made_again(db_path, tmp_path):
    from store.files import open_db

    fresh = open_db(tmp_path / "fresh.db")
    indexes = "select name, sql from sqlite_master where type = 'index' and tbl_name = 'courses' and sql is not null"
    expected = set(fresh.execute(indexes).fetchall())
    # 4 new listings into an empty table, one per batch: a bulk load from the second on, said once
    result = run_cli(
        "--db",
        db_path,
        "crawl",
        "opintopolku_fi",
        "--replay",
        str(FOUR),
        "-s",
        "AGGREGATOR_DEFER_INDEXES_AFTER=2",
        "-s",
        "AGGREGATOR_STORE_BATCH=1",
    )
    assert (
        "Bulk load: 2 new listings so far" in result.stderr
        and "Bulk load: made 11 indexes of courses again" in result.stderr
    )
    assert result.stderr.count("Bulk load:") == 2
    db = sqlite_utils.Database(db_path)
    assert set(db.execute(indexes).fetchall()) == expected and db["_deferred_indexes"].count == 0
    assert db["courses"].count == 4 and [r["status"] for r in db["crawl_runs"].rows] == ["finished"]
    # the next run adds nothing: it keeps its indexes and logs no bulk load
    assert "Bulk load" not in crawl(db_path, FOUR).stderr


def test_a_source_that_fails_marks_nothing_removed(db_path, tmp_path):
    crawl(db_path, FOUR)
    broken = tmp_path / "broken"
    shutil.copytree(FOUR, broken)
    shutil.rmtree(broken / "konfo-backend" / "external" / "toteutus")
    (broken / "manifest.json").write_text(
        '[{"path": "/konfo-backend/sitemap/toteutus-sitemap.xml", "status": 503, "body": "down"}]', "utf-8"
    )
    result = crawl(db_path, broken, check=False)
    # the crawl says so: "failed" and exit 1, not "ok" (the process itself exits 0)
    assert (
        result.returncode == 1
        and "opintopolku_fi: failed" in result.stdout
        and "crawl not clean for opintopolku_fi" in result.stderr
    )
    db = sqlite_utils.Database(db_path)
    last = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert last["status"] == "failed" and "nothing marked removed" in last["note"]
    assert db["courses"].count == 4
    assert db.execute("select count(*) from courses where removed_at is not null").fetchone()[0] == 0


def test_replay_server_answers_recorded_paths_and_404_otherwise(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "doc").write_text('{"ok": true}', "utf-8")
    (tmp_path / "manifest.json").write_text(
        '[{"path": "/err", "query": {"page": "2"}, "status": 500, "body": "x"}]', "utf-8"
    )
    import urllib.error
    import urllib.request

    with ReplayServer(tmp_path) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.base_url + "/a/doc?any=1") as response:
            assert response.headers["Content-Type"].startswith("application/json")
            assert response.read() == b'{"ok": true}'
        for path, status in (("/err?page=2", 500), ("/err?page=1", 404), ("/nothing", 404), ("/../etc/passwd", 404)):
            try:
                urllib.request.urlopen(server.base_url + path)
                raise AssertionError(f"{path} answered 200")
            except urllib.error.HTTPError as error:
                assert error.code == status, path
    assert [r["status"] for r in server.requests] == [200, 500, 404, 404, 404]
