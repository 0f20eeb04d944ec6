"""The store: stable ids, upserts that change nothing for unchanged listings, change history,
removal and restoration, the plausibility rule, migrations and trigram full-text search."""

from __future__ import annotations

import dataclasses
import json

import pytest

from spiders.items import Course, Seen  # noqa: F401
from store.course_store import CourseStore
from store.files import open_db
from store.rows import course_id
from store.runs import finish_run, judge, register_source, start_run
from store.schema import migrate


def course(source_id: str, **facts) -> Course:
    base = dict(
        source="susanavet_se",
        source_id=source_id,
        url=f"https://example.se/{source_id}",
        country="SE",
        title=facts.pop("title", f"Kurs {source_id}"),
        title_lang="sv",
    )
    item = Course(**base, **facts)
    item.id = course_id(item.source, item.source_id)
    return item


def open_run(db, source="susanavet_se", preferred_source=None):
    register_source(db, {"name": source, "preferred_source": preferred_source})
    run_id = start_run(db, source)
    return run_id, CourseStore(db, source, run_id, preferred_source=preferred_source)


def test_ids_are_stable_and_distinct_per_source():
    assert course_id("a", "1") == course_id("a", "1")
    assert course_id("a", "1") != course_id("b", "1") != course_id("a", "2")


def test_migrations_are_recorded_and_not_run_twice(db_path):
    db = open_db(db_path)
    from store.schema import MIGRATION_NAMES, MIGRATION_SET

    names = [m.name for m in MIGRATION_SET.applied(db)]
    assert names == MIGRATION_NAMES
    assert names[:2] == ["0001_initial", "0002_fulltext_trigram"]
    assert migrate(db) == []
    assert db["courses"].detect_fts() == "courses_fts"
    assert db.journal_mode == "wal"


def test_a_database_that_recorded_its_migrations_the_old_way_upgrades_once_with_no_data_lost(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp"), course("2")])
    _finish(db, run_id, store)
    # the layout before sqlite-utils' runner: a _migrations table of (name, applied_at)
    applied = [(r["name"], r["applied_at"]) for r in db["_sqlite_migrations"].rows_where(order_by="id")]
    db["_sqlite_migrations"].drop()
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    db["_migrations"].insert_all({"name": n, "applied_at": a} for n, a in applied)
    before = {t: list(db[t].rows) for t in ("courses", "crawl_runs", "sources", "providers", "course_topics")}
    db.close()

    db = open_db(db_path)  # would fail if 0001_initial ran again: its tables exist
    assert "_migrations" not in db.table_names()
    assert [(r["name"], r["applied_at"]) for r in db["_sqlite_migrations"].rows_where(order_by="id")] == applied
    assert {t: list(db[t].rows) for t in before} == before
    assert migrate(db) == []


def test_changes_are_recorded_field_by_field_and_unchanged_rows_only_move_last_seen(db_path):
    db = open_db(db_path)
    run1, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp"), course("2")])
    assert store.counts["new"] == 2
    run2, store = open_run(db)
    store.write([course("1", credits=15.0, credit_unit="hp"), course("2")])
    assert (store.counts["changed"], store.counts["unchanged"]) == (1, 1)
    changes = list(db["course_changes"].rows)
    assert [(c["field"], c["old_value"], c["new_value"], c["run_id"]) for c in changes] == [
        ("credits", "7.5", "15.0", run2)
    ]


def test_a_deleted_record_removes_its_listing_when_the_run_is_clean_and_a_reappearing_one_is_restored(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1"), course("2")])
    _finish(db, run_id, store)
    run_id, store = open_run(db)
    store.write([course("1"), dataclasses.replace(course("2"), removed=True)])
    # staged during the crawl, applied only by the verdict
    assert db["courses"].get(course_id("susanavet_se", "2"))["removed_at"] is None
    assert _finish(db, run_id, store, partial=True).status == "finished"
    assert db["crawl_runs"].get(run_id)["removed"] == 1
    assert db["courses"].get(course_id("susanavet_se", "2"))["removed_at"] is not None
    run_id, store = open_run(db)
    store.write([course("1"), course("2")])
    assert store.counts["restored"] == 1
    assert db["courses"].count == 2  # restored, not duplicated
    assert db["courses"].get(course_id("susanavet_se", "2"))["removed_at"] is None


@pytest.mark.parametrize("reason, errors", [("shutdown", 0), ("finished", 3), ("storage_error", 0)])
def test_deletion_records_apply_whatever_the_verdict_unless_storage_failed(db_path, reason, errors):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(5)])
    _finish(db, run_id, store)
    run_id, store = open_run(db)
    store.write([dataclasses.replace(course(str(i)), removed=True) for i in range(3)] + [course("3")])
    verdict = _finish(db, run_id, store, reason=reason, errors=errors, partial=False)
    assert verdict.status in ("failed", "flagged")
    applied = 0 if reason == "storage_error" else 3  # the source's own word on those listings
    assert _removed(db) == applied and db["crawl_runs"].get(run_id)["removed"] == applied
    assert db["courses"].get(course_id("susanavet_se", "4"))["removed_at"] is None  # unseen, kept
    if applied:
        assert "unseen listings kept" in verdict.note and "3 deletion record(s) of the source applied" in verdict.note
    else:
        assert (
            "nothing marked removed" in verdict.note
            and "3 deletion record(s) of the source not applied" in verdict.note
        )


def test_the_same_listing_twice_in_one_batch_is_merged_last_one_wins(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    tagged = [{"topic": "batteries_energy_storage", "terms": ["batteri"], "fields": ["title"]}]
    store.write([course("1", title="Gammal", topics=tagged), course("2"), course("1", title="Ny", topics=tagged)])
    assert store.counts["merged_duplicates"] == 1 and store.counts["new"] == 2
    assert db["courses"].get(course_id("susanavet_se", "1"))["title"] == "Ny"
    assert db.execute("select count(*) from course_topics").fetchone()[0] == 1
    assert _finish(db, run_id, store).status == "finished"


def test_kept_listings_keep_their_state_in_a_clean_complete_run(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(5)])
    _finish(db, run_id, store)
    before = db["courses"].get(course_id("susanavet_se", "4"))
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(4)], kept_ids=["4"])
    assert _finish(db, run_id, store).status == "finished"
    assert store.counts["kept"] == 1 and _removed(db) == 0
    after = db["courses"].get(course_id("susanavet_se", "4"))
    assert {k: v for k, v in after.items() if k != "last_run_id"} == {
        k: v for k, v in before.items() if k != "last_run_id"
    }


def _finish(db, run_id, store, reason="finished", errors=0, partial=False):
    stats = {"aggregator/errors/http_500": errors} if errors else {}
    if reason == "storage_error":
        stats["aggregator/storage_error"] = "SQLITE_FULL: database or disk is full"
    return finish_run(
        db,
        run_id,
        "susanavet_se",
        finish_reason=reason,
        stats=stats,
        counts=store.counts,
        partial=partial,
        staged_removals=store.staged_removals,
        staged_holdbacks=store.staged_holdbacks,
    )


def _crawl(db, ids, **finish):
    """One run of susanavet_se that sees the listings ``ids``: its id and verdict."""
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in ids])
    return run_id, _finish(db, run_id, store, **finish)


def _removed(db) -> int:
    return db.execute("select count(*) from courses where removed_at is not null").fetchone()[0]


def test_unseen_listings_are_removed_only_after_a_clean_plausible_complete_run(db_path):
    db = open_db(db_path)
    assert _crawl(db, range(10))[1].status == "finished"

    # 10 % of the last count: flagged, nothing removed
    verdict = _crawl(db, [0])[1]
    assert verdict.status == "flagged" and "below 50%" in verdict.note
    assert _removed(db) == 0

    # killed mid-crawl: failed, nothing removed
    assert _crawl(db, range(8), reason="shutdown")[1].status == "failed"
    # errors: flagged, nothing removed
    assert _crawl(db, range(8), errors=3)[1].status == "flagged"
    # filtered crawl: fine, but nothing removed
    assert _crawl(db, range(8), partial=True)[1].status == "finished"
    assert _removed(db) == 0

    # clean complete run with 8 of 10: the 2 unseen are marked removed, never deleted
    run_id, verdict = _crawl(db, range(8))
    assert verdict.status == "finished"
    assert _removed(db) == 2
    assert db["courses"].count == 10
    assert db["crawl_runs"].get(run_id)["removed"] == 2


def test_a_partial_run_is_not_the_reference_for_the_next_complete_one(db_path):
    db = open_db(db_path)
    assert _crawl(db, range(10))[1].status == "finished"
    # an incremental (or filtered) run sees one changed listing, and that is fine ...
    run_id, verdict = _crawl(db, [0], partial=True)
    assert verdict.status == "finished"
    assert db["crawl_runs"].get(run_id)["partial"] == 1
    # ... but a complete run seeing 2 of 10 is measured against the last complete run, not it
    verdict = _crawl(db, [0, 1])[1]
    assert verdict.status == "flagged" and "last successful run (10)" in verdict.note
    assert _removed(db) == 0


def test_seen_markers_keep_listings_alive_in_incremental_runs(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1"), course("2")])
    _finish(db, run_id, store)
    run_id, store = open_run(db)
    store.write([], seen_ids=["1", "2"])
    assert _finish(db, run_id, store).status == "finished"
    assert store.counts["unchanged"] == 2
    assert db.execute("select count(*) from courses where removed_at is not null").fetchone()[0] == 0


@pytest.mark.parametrize(
    "query, title",
    [
        ("batteri", "Batteriteknik och energilagring"),
        ("hitsau", "Hitsauksen perusteet"),
        ("svetsning", "Svetsningsteknik för industrin"),
    ],
)
def test_full_text_search_finds_word_parts(db_path, query, title):
    db = open_db(db_path)
    _, store = open_run(db)
    store.write(
        [
            course("1", title="Batteriteknik och energilagring"),
            course("2", title="Hitsauksen perusteet"),
            course("3", title="Svetsningsteknik för industrin"),
        ]
    )
    assert [r["title"] for r in db["courses"].search(query)] == [title]


def test_judge_flags_a_jump_in_errors_against_the_last_successful_run():
    verdict = judge(finish_reason="finished", items=100, errors=40, partial=False, previous={"items": 100, "errors": 2})
    assert verdict.status == "flagged" and "40 errors" in verdict.note
    assert judge(finish_reason="finished", items=0, errors=0, partial=False, previous=None).status == "failed"


def test_full_text_index_follows_text_changes_but_not_bookkeeping_updates(db_path):
    db = open_db(db_path)
    _, store = open_run(db)
    store.write([course("1", title="Batteriteknik")])
    # every nightly run updates every listing's last_seen: the index is rewritten only when an
    # indexed text changes (sqlite-utils' own trigger re-indexed the row on any update)
    trigger = db.execute("select sql from sqlite_master where name = 'courses_au'").fetchone()[0].lower()
    assert "after update of" in trigger and "last_seen" not in trigger and 'old."title" is not new."title"' in trigger
    db.execute("update courses set last_seen = '2030-01-01', title_en = title_en")
    assert [r["title"] for r in db["courses"].search("batteri")] == ["Batteriteknik"]
    db.execute("update courses set title = 'Vätgasteknik'")
    assert [r["title"] for r in db["courses"].search("vätgas")] == ["Vätgasteknik"]
    assert list(db["courses"].search("batteri")) == []


def test_a_batch_is_indexed_whole_and_its_last_version_of_a_listing_wins(db_path):
    db = open_db(db_path)
    _, store = open_run(db)
    store.write([course(str(n), title=f"Batteriteknik {n}") for n in range(300)])
    # the rows reach courses in one statement (see CourseStore._write_rows); a listing twice in
    # one batch keeps its later version, as a row-by-row upsert would
    store.write([course("7", title="Vätgasteknik"), course("8", title="Svetsteknik"), course("7", title="Solenergi")])
    # rank 1: also compare the index with the rows of courses (raises when they differ)
    db.execute("insert into courses_fts (courses_fts, rank) values ('integrity-check', 1)")
    assert db["courses"].count == 300
    assert db.execute("select count(*) from courses_fts where courses_fts match 'batteri'").fetchone()[0] == 298
    assert [r["title"] for r in db["courses"].search("solenergi")] == ["Solenergi"]
    assert list(db["courses"].search("vätgas")) == []
    assert db.execute("select count(*) from temp.sqlite_master where name = 'course_batch'").fetchone()[0] == 0


def _indexes(db) -> set[tuple[str, str]]:
    return set(
        db.execute(
            "select name, sql from sqlite_master where type = 'index' and tbl_name = 'courses' and sql is not null"
        ).fetchall()
    )


def _listings(db) -> list[tuple]:
    return db.execute("select id, title, credits, topics, removed_at from courses order by id").fetchall()


def _bulk_load(db, defer_indexes_after):
    register_source(db, {"name": "susanavet_se"})
    store = CourseStore(db, "susanavet_se", start_run(db, "susanavet_se"), defer_indexes_after=defer_indexes_after)
    store.write([course(str(n), title=f"Batteriteknik {n}", credits=7.5) for n in range(4)])
    after_first_batch = _indexes(db)
    store.write([course(str(n), title=f"Vätgasteknik {n}") for n in range(3, 9)])  # 3: a change
    return store, after_first_batch


def test_a_bulk_load_drops_the_secondary_indexes_and_makes_them_again_when_it_finishes(db_path, tmp_path):
    db = open_db(db_path)
    before = _indexes(db)
    assert len(before) > 5
    store, after_first_batch = _bulk_load(db, defer_indexes_after=6)
    assert after_first_batch == before  # 4 new listings: not yet a bulk load
    during = _indexes(db)
    assert store.deferred_indexes and {name for name, _ in during} == {"idx_courses_source_source_id"}  # unique: kept
    store.write([course("8", title="Solenergi"), course("9", title="Svetsteknik")])  # indexes still off
    assert sorted(store.finish()) == sorted(name for name, _ in before if name != "idx_courses_source_source_id")
    assert _indexes(db) == before
    assert db["_deferred_indexes"].count == 0
    db.execute("insert into courses_fts (courses_fts, rank) values ('integrity-check', 1)")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    # the same rows as the same load with the indexes kept throughout
    kept = open_db(tmp_path / "kept.db")
    store, _ = _bulk_load(kept, defer_indexes_after=10_000)
    store.write([course("8", title="Solenergi"), course("9", title="Svetsteknik")])
    assert not store.deferred_indexes and store.finish() == []
    assert _listings(db) == _listings(kept) and len(_listings(db)) == 10
    assert [r["title"] for r in db["courses"].search("vätgas")] == [f"Vätgasteknik {n}" for n in range(3, 8)]


def test_indexes_a_bulk_load_left_dropped_are_made_again_by_the_next_job(db_path):
    from aggregator.nightly import open_job_db

    db = open_db(db_path)
    before = _indexes(db)
    store, _ = _bulk_load(db, defer_indexes_after=6)
    assert store.deferred_indexes and _indexes(db) != before
    db.close()  # the run died before finish()
    assert _indexes(open_db(db_path)) != before  # opening alone does not rebuild them
    said = []
    assert _indexes(open_job_db(db_path, said.append)) == before
    assert any("index(es) of courses again" in line for line in said)


def test_a_run_adding_fewer_listings_than_the_table_holds_keeps_its_indexes(db_path):
    db = open_db(db_path)
    _, store = open_run(db)
    store.write([course(f"old{n}") for n in range(10)])
    before = _indexes(db)
    register_source(db, {"name": "susanavet_se"})
    store = CourseStore(db, "susanavet_se", start_run(db, "susanavet_se"), defer_indexes_after=3)
    store.write([course(str(n)) for n in range(10)])  # 10 new: not more than the 10 already there
    assert not store.deferred_indexes and _indexes(db) == before
    store.write([course("10")])  # 11 new: more than the table held when the run started
    assert store.deferred_indexes and store.finish() and _indexes(db) == before


def test_the_courses_columns_follow_the_course_definition_and_a_missing_one_is_added(db_path):
    from store.listing import COURSE_COLUMN_TYPES

    db = open_db(db_path)
    columns = db["courses"].columns_dict
    assert {name: columns[name] for name in COURSE_COLUMN_TYPES} == COURSE_COLUMN_TYPES
    # a database written before a field existed: the column comes with the next open, data kept
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp", pace_percent=50.0)])
    db["courses"].transform(drop={"pace_percent", "teaching_times"})
    db.close()
    db = open_db(db_path)
    assert {"pace_percent", "teaching_times"} <= set(db["courses"].columns_dict)
    assert db.execute("select credits, pace_percent from courses").fetchall() == [(7.5, None)]


def test_a_field_new_to_every_listing_changes_no_listings_hash_and_a_stored_hash_is_kept(db_path):
    from store.listing import CONTENT_FIELDS
    from store.rows import course_row, hash_content

    row = course_row(course("1", credits=7.5, credit_unit="hp"))
    # a field added later, empty on this listing: the same hash
    assert (
        hash_content(dict(row, battery_chemistry=None), (*CONTENT_FIELDS, "battery_chemistry")) == row["content_hash"]
    )
    # filled in, it is a change
    assert (
        hash_content(dict(row, battery_chemistry="LFP"), (*CONTENT_FIELDS, "battery_chemistry")) != row["content_hash"]
    )
    # the hash the store wrote is the one recomputed from the stored facts (migration 0016's rule),
    # so the next crawl of the same facts finds the listing unchanged
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp", instruction_languages=["sv"])])
    stored = next(db.query("select * from courses"))
    columns = [c for c in CONTENT_FIELDS if c in stored]
    assert hash_content({c: stored[c] for c in columns}, columns) == stored["content_hash"]
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp", instruction_languages=["sv"])])
    assert store.counts["unchanged"] == 1 and store.counts["changed"] == 0


def test_an_upgrade_recomputes_stored_hashes_without_recording_changes(db_path):
    from store.schema import MIGRATION_SET

    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp"), course("2")])
    hashes = dict(db.execute("select id, content_hash from courses").fetchall())
    # as before 0016: a different hash stored, and the migration not yet recorded
    db.execute("update courses set content_hash = 'old-rule'")
    db.execute("delete from _sqlite_migrations where name = '0016_content_hash_without_empty_facts'")
    db.conn.commit()
    db.close()
    db = open_db(db_path)
    assert dict(db.execute("select id, content_hash from courses").fetchall()) == hashes
    assert "0016_content_hash_without_empty_facts" in {m.name for m in MIGRATION_SET.applied(db)}
    run_id, store = open_run(db)
    store.write([course("1", credits=7.5, credit_unit="hp"), course("2")])
    assert store.counts["unchanged"] == 2 and db["course_changes"].count == 0


def test_one_offering_from_two_swedish_registers_is_one_listing_whichever_is_crawled_first(db_path):
    from store.schema import DUPLICATES_TABLE

    db = open_db(db_path)

    preferences = {"plannededucations_se": "susanavet_se"}  # as the spiders declare it

    def crawl(source, source_ids, **facts):
        run_id, store = open_run(db, source, preferences.get(source))
        store.write(
            [dataclasses.replace(course(i, **facts), source=source, id=course_id(source, i)) for i in source_ids]
        )
        return store.counts

    # Planned Educations first: its events are the listings until Susa-navet lists them
    crawl("plannededucations_se", ["e.1", "e.2", "e.3"], credits=400.0, credit_unit="yh-poäng")
    assert db["courses"].count == 3
    counts = crawl("susanavet_se", ["e.1", "e.2", "e.9"], credits=400.0, credit_unit="yh-poäng")
    assert counts["duplicates_absorbed"] == 2
    listed = {(r["source"], r["source_id"]) for r in db["courses"].rows}
    assert listed == {
        ("susanavet_se", "e.1"),
        ("susanavet_se", "e.2"),
        ("susanavet_se", "e.9"),
        ("plannededucations_se", "e.3"),
    }
    kept = {r["source_id"]: r for r in db[DUPLICATES_TABLE].rows}
    assert set(kept) == {"e.1", "e.2"} and kept["e.1"]["duplicate_of"] == course_id("susanavet_se", "e.1")
    assert kept["e.1"]["source"] == "plannededucations_se" and kept["e.1"]["credits"] == 400.0  # its own facts, whole
    # the next Planned Educations crawl keeps them apart, counted as seen, nothing new
    counts = crawl("plannededucations_se", ["e.1", "e.2", "e.3"], credits=400.0, credit_unit="yh-poäng")
    assert (counts["duplicates"], counts["new"], counts["unchanged"]) == (2, 0, 1)
    assert (
        db["courses"].count == 4
        and db.execute(
            "select count(*) from course_topics where course_id in (select id from course_duplicates)"
        ).fetchone()[0]
        == 0
    )
    # Susa-navet withdraws e.2: Planned Educations' listing of it is the listing again
    db.execute("update courses set removed_at = '2026-01-01' where source = 'susanavet_se' and source_id = 'e.2'")
    counts = crawl("plannededucations_se", ["e.1", "e.2", "e.3"], credits=400.0, credit_unit="yh-poäng")
    assert counts["duplicates"] == 1
    assert (
        db.execute(
            "select count(*) from courses where source = 'plannededucations_se' and source_id = 'e.2'"
        ).fetchone()[0]
        == 1
    )
    assert {r["source_id"] for r in db[DUPLICATES_TABLE].rows} == {"e.1"}


def test_a_value_its_field_cannot_store_is_a_counted_error_of_that_listing_not_of_the_storage(db_path, caplog):
    """A list in a text field (a spider's mistake, or a field declared with the wrong type)
    never reaches sqlite3: the listing is counted and logged with the field named, its stored
    version kept, the rest of the batch stored, and the crawl goes on (no "storage error")."""
    from scrapy.utils.test import get_crawler

    from pipelines.store import StorePipeline
    from spiders.providers.susanavet_se import SusanavetSeSpider

    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1"), course("2")])
    _finish(db, run_id, store)
    before = db["courses"].get(course_id("susanavet_se", "2"))
    db.close()

    crawler = get_crawler(SusanavetSeSpider, {"AGGREGATOR_DB": db_path, "TWISTED_REACTOR_ENABLED": False})
    crawler.spider = SusanavetSeSpider.from_crawler(crawler)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for item in (course("1", title="Ny titel"), course("2", title=["Kurs", "2"]), course("3", credits={"hp": 7.5})):
        pipeline.process_item(item)
    pipeline.close_spider()
    pipeline.spider_closed(crawler.spider, "finished")

    assert pipeline.storage_error is None
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Not stored")]
    assert len(said) == 2 and "'2': field 'title' holds a list" in said[0] and "field 'credits' holds a dict" in said[1]
    assert crawler.stats.get_value("aggregator/errors/unstorable_value") == 2
    assert crawler.stats.get_value("aggregator/store/unstorable") == 2
    db = open_db(db_path)
    assert db["courses"].get(course_id("susanavet_se", "1"))["title"] == "Ny titel"
    assert db["courses"].get(course_id("susanavet_se", "2")) == {**before, "last_run_id": before["last_run_id"] + 1}
    assert not db["courses"].exists() or db["courses"].count == 2  # listing 3 was never stored
    run = db["crawl_runs"].get(run_id + 1)
    assert run["status"] == "flagged" and json.loads(run["error_counts"]) == {"unstorable_value": 2}
    assert run["removed"] == 0 and "storage error" not in run["note"]


def test_each_fields_role_is_declared_on_it_and_its_storage_follows_its_type():
    from store.listing import BOOL_FIELDS, CONTENT_FIELDS, DERIVED_FIELDS, JSON_FIELDS, derived
    from store.rows import content_hash, course_row

    # what the pipelines work out is derived, wherever it sits in the listing
    assert {"latitude", "longitude", "start_from", "coordinates_method", "title_en", "topics"} <= set(DERIVED_FIELDS)
    assert not set(DERIVED_FIELDS) & set(CONTENT_FIELDS)
    assert {"id", "source", "source_url", "fetched_at", "removed"}.isdisjoint(CONTENT_FIELDS)
    assert {"title_i18n", "instruction_languages", "extras", "topics"} <= JSON_FIELDS
    assert BOOL_FIELDS == {"rolling_admission", "cancelled", "ects_estimated"}

    # a listing with one more source fact and one more derived field: nothing else to declare
    @dataclasses.dataclass
    class Wider(Course):
        certifications: list[str] = dataclasses.field(default_factory=list)
        title_words: int | None = derived()

    plain = course("1", title="Svetsning för nybörjare")
    wider = Wider(**{f.name: getattr(plain, f.name) for f in dataclasses.fields(Course)}, certifications=["svetsare"])
    row = course_row(wider)
    assert row["certifications"] == '["svetsare"]' and row["title_words"] is None
    assert content_hash(wider) != content_hash(plain)  # a new fact with a value is content
    assert content_hash(dataclasses.replace(wider, title_words=3)) == content_hash(wider)  # derived is not
    assert content_hash(Wider(**{f.name: getattr(plain, f.name) for f in dataclasses.fields(Course)})) == content_hash(
        plain
    )  # and an empty new fact changes no hash
