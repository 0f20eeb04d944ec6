"""Hostile sources, crashes and a full disk: each probe runs `aggregator crawl` against a local
server imitating the three sources (tests/hostile_sources.py) on top of a database a good crawl
filled, and asserts that the command ends within a bound, its exit code, the run's counters,
and that no good listing changed state wrongly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.hostile_sources import LISTINGS, OPINTOPOLKU_OIDS, HostileSources

API_PATHS = {"opintopolku_fi": "", "susanavet_se": "/susa-navet/emil3", "plannededucations_se": "/planned-educations"}


@pytest.fixture(scope="module")
def server():
    sources = HostileSources().start()
    yield sources
    sources.stop()


def crawl(server, db, spider, *extra, timeout=180):
    started = time.monotonic()
    result = run_cli(
        "--db",
        str(db),
        "crawl",
        spider,
        "--base-url",
        server.base_url + API_PATHS[spider],
        *extra,
        check=False,
        timeout=timeout,
    )
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def good_dbs(server, tmp_path_factory):
    """One database per source, filled by a crawl of the well-behaved server."""
    folder = tmp_path_factory.mktemp("good")
    server.set_mode("good")
    for spider in API_PATHS:
        result, _ = crawl(server, folder / f"{spider}.db", spider)
        assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.fixture
def good_db(good_dbs, tmp_path):
    def copy(spider):
        target = tmp_path / "aggregator.db"
        shutil.copy(good_dbs / f"{spider}.db", target)
        return target

    return copy


def listings(db) -> dict[str, tuple]:
    with sqlite3.connect(db) as conn:
        return {
            row[0]: row[1:] for row in conn.execute("select source_id, removed_at, content_hash, title from courses")
        }


def last_run(db) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    conn.close()
    row["counters"] = json.loads(row["counters"] or "{}")
    row["error_counts"] = json.loads(row["error_counts"] or "{}")
    return row


def first_seen(db) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select source_id, first_seen from courses"))


def removed(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from courses where removed_at is not null").fetchone()[0]


# probe, spider, extra arguments, exit code, run status, a counter that must be > 0 (or None),
# the bound in seconds
PROBES = [
    ("status_case", "opintopolku_fi", (), 0, "finished", None, 90),
    ("status_case", "susanavet_se", (), 0, "finished", None, 90),
    ("status_unknown", "opintopolku_fi", (), 1, "failed", "kept/unknown_status:PUBLISHED", 90),
    ("status_unknown", "susanavet_se", (), 1, "failed", "kept/unknown_status:PUBLISHED", 90),
    ("type_drift", "opintopolku_fi", (), 1, "failed", "errors/unusable_document", 90),
    ("type_drift", "susanavet_se", (), 1, "failed", "errors/unusable_document", 90),
    ("type_drift", "plannededucations_se", (), 1, "failed", "kept/no_title", 90),
    ("nulls", "opintopolku_fi", (), 1, "failed", "kept/unknown_status:None", 90),
    ("nulls", "susanavet_se", (), 1, "failed", "errors/unusable_document", 90),
    ("nulls", "plannededucations_se", (), 1, "failed", "kept/no_title", 90),
    ("duplicate_ids", "susanavet_se", (), 0, "finished", "store/merged_duplicates", 90),
    ("endless_pages", "susanavet_se", ("-s", "AGGREGATOR_MAX_PAGES=20"), 1, "flagged", "errors/page_cap", 120),
    ("endless_pages", "plannededucations_se", ("-s", "AGGREGATOR_MAX_PAGES=20"), 1, "flagged", "errors/page_cap", 120),
    (
        "endless_pages",
        "opintopolku_fi",
        ("-a", "keyword=sähkö", "-s", "AGGREGATOR_MAX_PAGES=20"),
        1,
        "flagged",
        "errors/page_cap",
        120,
    ),
    ("huge_document", "opintopolku_fi", (), 0, "finished", "truncated/description", 120),
    ("long_tokens", "opintopolku_fi", (), 0, "finished", "truncated/description", 120),
    ("long_tokens", "susanavet_se", (), 0, "finished", "truncated/description", 120),
    ("invalid_utf8", "opintopolku_fi", (), 1, "flagged", "errors/invalid_utf8", 90),
    ("retry_after", "opintopolku_fi", (), 0, "finished", "retry_after_waits", 120),
    ("offsite_redirect", "opintopolku_fi", (), 1, "flagged", "errors/offsite_redirect", 90),
    ("slow", "opintopolku_fi", ("-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=0"), 1, "flagged", "errors/timeout", 90),
    ("deleted_one", "susanavet_se", (), 0, "finished", None, 90),
    # paging as the source states it: never fewer pages than totalPages; disagreement flags
    ("total_lower", "susanavet_se", (), 1, "flagged", "errors/paging_disagreement", 90),
    ("duplicate_rows", "susanavet_se", (), 0, "finished", "pages/longer_than_size", 90),
    # a document answering with another id: an error of the requested id, never a write
    ("other_id", "opintopolku_fi", (), 1, "flagged", "errors/id_mismatch", 90),
    # two unreadable documents do not stop the archival record of a third
    ("archived_two_unreadable", "opintopolku_fi", (), 1, "flagged", "known_id_errors", 90),
    ("test_entries", "susanavet_se", (), 0, "finished", "held_back/test_listing:title", 90),
    ("test_entries_half_page", "susanavet_se", (), 1, "flagged", "pages/shorter_than_size", 90),
    # every way to see zero listings has a counter
    ("not_objects", "susanavet_se", (), 1, "failed", "errors/page_not_an_object", 90),
    ("not_objects", "plannededucations_se", (), 1, "failed", "errors/page_not_an_object", 90),
    # rate limited past the budget (10 % of the 20 s limit): stops at once, failed, with the reason
    ("rate_limited", "opintopolku_fi", ("--timeout", "20"), 1, "failed", "errors/retry_after_budget", 40),
    # within the budget but past the time limit: the waits end with the crawl
    (
        "rate_limited",
        "opintopolku_fi",
        ("--timeout", "8", "-s", "AGGREGATOR_RETRY_AFTER_BUDGET=100000"),
        1,
        "failed",
        "retry_after_waits",
        8 + 20,
    ),
]
HELD_BACK = {"test_entries": 4}  # every third of the 12 events


@pytest.mark.parametrize(
    "mode, spider, extra, exit_code, status, counter, bound", PROBES, ids=[f"{p[0]}-{p[1]}" for p in PROBES]
)
def test_a_hostile_source_changes_no_good_listing_wrongly(
    server, good_db, mode, spider, extra, exit_code, status, counter, bound
):
    db = good_db(spider)
    before, first_seen_before = listings(db), first_seen(db)
    server.set_mode(mode)
    result, seconds = crawl(server, db, spider, *extra, timeout=bound + 60)
    run = last_run(db)
    assert seconds < bound, f"{mode}: took {seconds:.0f}s"
    assert "Traceback" not in result.stdout + result.stderr.split("Crawling")[0]
    assert (result.returncode, run["status"]) == (exit_code, status), (
        run["note"],
        result.stdout,
        result.stderr[-2000:],
    )
    if counter:
        assert run["counters"].get(counter, 0) > 0, (counter, run["counters"])
    after = listings(db)
    assert set(after) == set(before)  # nothing deleted, nothing duplicated
    assert first_seen(db) == first_seen_before
    if mode == "deleted_one":
        assert removed(db) == 1 and after["e.sv.hostile.0"][0] is not None and run["removed"] == 1
    elif mode == "archived_two_unreadable":  # the source's own record applies all the same
        assert removed(db) == 1 and after[OPINTOPOLKU_OIDS[2]][0] is not None and run["removed"] == 1
        assert (
            run["error_counts"] == {"invalid_json": 2} and "1 deletion record(s) of the source applied" in run["note"]
        )
    elif mode in HELD_BACK:  # out of what is published, the rows kept as they were
        assert removed(db) == HELD_BACK[mode] and run["removed"] == 0
        assert run["counters"]["store/held_back_removed"] == HELD_BACK[mode]
        assert f"{HELD_BACK[mode]} listing(s) turned into test or placeholder entries held back" in run["note"]
        assert {k: v[1:] for k, v in after.items()} == {k: v[1:] for k, v in before.items()}
    else:
        assert removed(db) == 0 and run["removed"] == 0
    if status != "finished":
        # a run that is not clean changes no stored listing's facts either
        assert {k: v[1:] for k, v in after.items()} == {k: v[1:] for k, v in before.items()}
        assert "nothing marked removed" in run["note"] or "each of a known listing, kept as it was" in run["note"]
    if mode == "test_entries_half_page":  # not judged clean: the test entries stay listed as they were
        # 3 of the 4: the half page served left the fourth unseen (and kept, like every unseen one)
        assert run["counters"]["store/held_back_pending"] == 3 and "not held back until a clean run" in run["note"]
    if mode == "other_id":
        assert run["error_counts"] == {"id_mismatch": 2} and run["counters"]["known_id_errors"] == 2
    if mode == "total_lower":
        assert "paging_disagreement 1" in run["note"]
    if mode == "not_objects":
        assert "zero listings seen (page_not_an_object" in run["note"]
    if mode in HELD_BACK:  # a real listing again: the same listing, with its first_seen
        server.set_mode("good")
        result, _ = crawl(server, db, spider)
        assert result.returncode == 0 and removed(db) == 0 and last_run(db)["restored"] == HELD_BACK[mode]
        assert first_seen(db) == first_seen_before
    if mode == "rate_limited":
        assert run["finish_reason"] in ("retry_after_budget", "closespider_timeout"), run["note"]
        if run["finish_reason"] == "retry_after_budget":
            assert "more than this run's budget of 2 s" in run["note"], run["note"]
    if mode == "duplicate_ids":
        assert run["items"] == LISTINGS  # each listing counted once, the last of its copies stored
        assert all(after[k][2].startswith("Elteknik, ny titel") for k in after)
    if mode == "endless_pages":
        assert len(server.requests) < 200, len(server.requests)
    if mode == "retry_after":
        by_path: dict[str, list[float]] = {}
        for request in server.requests:
            by_path.setdefault(request["path"], []).append(request["at"])
        retried = [times for path, times in by_path.items() if "/external/" in path]
        assert retried and all(len(t) == 2 and t[1] - t[0] >= 1.9 for t in retried), retried
    if mode == "offsite_redirect":
        assert not any(r["headers"].get("Host", "").startswith("127.0.0.2") for r in server.requests)
        assert run["http_errors"] >= 1
    if mode == "slow":
        assert run["http_errors"] >= 1 and run["error_counts"].get("timeout") == 1
    if mode in ("huge_document", "long_tokens"):
        assert os.path.getsize(db) < 20_000_000
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def _running_run(db) -> bool:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from crawl_runs where status = 'running'").fetchone()[0] > 0


def _crawl_processes(db) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"scrapy" in command and f"AGGREGATOR_DB={db}".encode() in command:
                found.append(int(proc.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_job_stops_its_spider_and_the_next_job_runs_clean(server, good_db, signum):
    db = good_db("opintopolku_fi")
    server.set_mode("slow")  # one document takes 5 s: the crawl is still running when killed
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aggregator.cli",
            "--db",
            str(db),
            "crawl",
            "opintopolku_fi",
            "--base-url",
            server.base_url,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _crawl_processes(db) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _crawl_processes(db), "the spider did not start"
    deadline = time.monotonic() + 60  # its run opened (a loaded machine takes seconds to start Scrapy)
    while not _running_run(db) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    job.send_signal(signum)
    job.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _crawl_processes(db) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _crawl_processes(db), "the spider outlived its job"
    server.set_mode("good")
    result, _ = crawl(server, db, "opintopolku_fi")
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("select status from crawl_runs order by id")]
    assert statuses[-2] == "failed" and statuses[-1] == "finished"
    assert removed(db) == 0


@pytest.fixture
def small_disk(mounted_tmpfs):
    return mounted_tmpfs("3m")


def test_a_full_disk_stops_the_crawl_at_once_with_the_reason(server, good_db, small_disk):
    db = small_disk / "aggregator.db"
    shutil.copy(good_db("susanavet_se"), db)
    before = listings(db)
    server.set_mode("big_texts")  # 12 listings of 100 KB each, with their full-text index: more than 3 MB
    result, seconds = crawl(server, db, "susanavet_se", "-s", "AGGREGATOR_STORE_BATCH=2")
    assert seconds < 90
    assert result.returncode == 1
    assert "storage error" in result.stdout and "disk is full" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout
    after = listings(db)
    assert set(after) == set(before) and removed(db) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_sigterm_stops_a_rate_limited_spider_within_seconds(server, good_db):
    """The spider process itself, told to stop while its requests wait out a Retry-After of
    30-120 s and its host's delay was raised to match: it ends in seconds, the run failed."""
    db = good_db("opintopolku_fi")
    server.set_mode("rate_limited")
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aggregator.cli",
            "--db",
            str(db),
            "crawl",
            "opintopolku_fi",
            "--base-url",
            server.base_url,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(r["path"].endswith(OPINTOPOLKU_OIDS[1]) for r in server.requests):
            time.sleep(0.2)
        time.sleep(1.0)  # the 429 answered: its retry now waits 30 s
        spiders = _crawl_processes(db)
        assert spiders, "the spider is not running"
        os.kill(spiders[0], signal.SIGTERM)
        stopped = time.monotonic()
        while _crawl_processes(db) and time.monotonic() - stopped < 30:
            time.sleep(0.1)
        seconds = time.monotonic() - stopped
        assert seconds < 6, f"the spider took {seconds:.1f} s to stop"
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    run = last_run(db)
    assert (run["status"], run["finish_reason"]) == ("failed", "shutdown") and removed(db) == 0
