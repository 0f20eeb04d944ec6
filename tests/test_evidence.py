"""What a run's evidence lets it change, in the store: a listing turned into a test entry is held
back (its row kept) only by a clean run and comes back as the same listing; errors of documents
whose ids are known keep those listings and still let a complete run mark the unseen removed."""

from __future__ import annotations

from spiders.items import HeldBack
from store.files import open_db
from store.rows import course_id
from store.runs import finish_run
from tests.test_db import course, open_run


def finish(db, run_id, store, **stats):
    return finish_run(
        db,
        run_id,
        "susanavet_se",
        finish_reason="finished",
        stats={f"aggregator/{k.replace('__', '/')}": v for k, v in stats.items()},
        counts=store.counts,
        partial=False,
        staged_removals=store.staged_removals,
        staged_holdbacks=store.staged_holdbacks,
    )


def row(db, source_id):
    return db["courses"].get(course_id("susanavet_se", source_id))


def test_a_test_entry_is_held_back_only_by_a_clean_run_its_row_kept_and_it_comes_back_the_same(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(5)])
    finish(db, run_id, store)
    first = row(db, "4")
    test_entry = HeldBack(source_id="4", reason="test_listing:title", source="susanavet_se", title="(testi) Kurs 4")

    run_id, store = open_run(db)  # a flagged run: the listing stays as it was, listed
    store.write([course(str(i)) for i in range(4)])
    store.hold_back([test_entry])
    verdict = finish(db, run_id, store, errors__http_500=1)
    assert (
        verdict.status == "flagged" and "1 listing(s) turned into test or placeholder entries not held" in verdict.note
    )
    kept = row(db, "4")
    assert kept["removed_at"] is None and {k: v for k, v in kept.items() if k != "last_run_id"} == {
        k: v for k, v in first.items() if k != "last_run_id"
    }

    run_id, store = open_run(db)  # a clean run: out of what is published, the row kept
    store.write([course(str(i)) for i in range(4)])
    store.hold_back([test_entry])
    verdict = finish(db, run_id, store)
    held = row(db, "4")
    assert (
        verdict.status == "finished"
        and "1 listing(s) turned into test or placeholder entries held back" in verdict.note
    )
    assert held["removed_at"] is not None and held["title"] == "Kurs 4" and held["first_seen"] == first["first_seen"]
    record = db["held_back_listings"].get(course_id("susanavet_se", "4"))
    assert record["reason"] == "test_listing:title" and record["first_seen"] == first["first_seen"]
    assert db["crawl_runs"].get(run_id)["removed"] == 0  # held back, not removed
    assert db.execute("select count(*) from courses").fetchone()[0] == 5

    run_id, store = open_run(db)  # a real listing again: the same row, its first_seen
    store.write([course(str(i)) for i in range(5)])
    finish(db, run_id, store)
    back = row(db, "4")
    assert back["removed_at"] is None and back["first_seen"] == first["first_seen"] and store.counts["restored"] == 1
    assert db["held_back_listings"].count == 0


def test_a_test_entry_never_listed_keeps_its_first_seen_when_it_becomes_a_listing(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1")])
    store.hold_back([HeldBack(source_id="2", reason="placeholder_text", source="susanavet_se", title="Lorem ipsum")])
    finish(db, run_id, store)
    seen = db["held_back_listings"].get(course_id("susanavet_se", "2"))["first_seen"]
    assert row(db, "1") and db["courses"].count == 1
    run_id, store = open_run(db)
    store.write([course("1"), course("2")])
    finish(db, run_id, store)
    assert row(db, "2")["first_seen"] == seen and store.counts["new"] == 1


def test_errors_of_known_listings_keep_them_and_a_complete_run_still_removes_the_unseen(db_path):
    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(6)])
    finish(db, run_id, store)
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(4)], kept_ids=["4"])  # 5: gone from the listing
    verdict = finish(db, run_id, store, errors__unusable_document=1, known_id_errors=1)
    assert verdict.status == "flagged" and verdict.mark_removed and "unusable_document 1" in verdict.note
    assert row(db, "4")["removed_at"] is None and row(db, "5")["removed_at"] is not None
    # one error without a known id (a page that failed): nothing unseen is removed
    run_id, store = open_run(db)
    store.write([course(str(i)) for i in range(3)], kept_ids=["4"])
    verdict = finish(db, run_id, store, errors__unusable_document=1, known_id_errors=1, errors__http_500=1)
    assert not verdict.mark_removed and "nothing marked removed" in verdict.note
    assert row(db, "3")["removed_at"] is None


def test_the_next_export_removes_the_staging_folder_a_killed_export_left(db_path, tmp_path):
    import subprocess
    import sys

    from aggregator.export import WRITER_FILE, export

    db = open_db(db_path)
    run_id, store = open_run(db)
    store.write([course("1")])
    finish(db, run_id, store)
    db.close()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = tmp_path / ".export-killed"  # just now, by a process that is gone
    killed.mkdir()
    (killed / WRITER_FILE).write_text(str(dead.pid), "ascii")
    (killed / "courses.csv").write_text("half a file", "utf-8")
    writing = tmp_path / ".export-writing"  # another export, still running
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        writing.mkdir()
        (writing / WRITER_FILE).write_text(str(writer.pid), "ascii")
        counts = export(db_path, tmp_path / "exports")
        assert not killed.exists() and writing.exists()
        assert counts["courses"] == 1 and not (tmp_path / "exports" / WRITER_FILE).exists()
    finally:
        writer.kill()
        writer.wait()
