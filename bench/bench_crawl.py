"""Crawl and database-build throughput on synthetic national-scale data, each beside its reference.

    .venv/bin/python bench/bench_crawl.py [--events 300000] [--work /tmp/aggregator-bench]

1. crawl + every pipeline (no machine translation: no model installed) of the Susa-navet events,
   against Scrapy's ceiling: a bare spider yielding the same events from the same replay server;
2. an unchanged second run (the nightly case) against the first: a full re-crawl, and an
   incremental one (``incremental=1``: only the events the change feed reports);
3. the store: writing the crawled rows through CourseStore (upsert, history, topics, full-text
   triggers; indexes made at the end, as a bulk load into an empty table does) against a bare
   sqlite-utils insert_all of the same rows.
Peak memory is the largest resident set of the first crawl's processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite_utils  # noqa: E402

from aggregator.replay import ReplayServer  # noqa: E402
from spiders.items import COURSE_FIELDS, Course  # noqa: E402
from spiders.settings import AGGREGATOR_STORE_BATCH as STORE_BATCH  # noqa: E402
from store.course_store import CourseStore  # noqa: E402
from store.files import open_db  # noqa: E402
from store.listing import JSON_FIELDS  # noqa: E402

BENCH_SETTINGS = ["AUTOTHROTTLE_ENABLED=0", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "LOG_LEVEL=WARNING"]


# Runs a command and prints the peak memory (MB) of its processes: this benchmark's own children
# also include the synthetic data generator and the bare spider, which are not the crawl.
PEAK_OF = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)"
)


def crawl(db: Path, base: str, *arguments: str) -> tuple[float, int]:
    """Seconds and peak memory (MB) of one crawl through the CLI, as the nightly job runs it."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "aggregator.cli", "--db", str(db), "crawl", "susanavet_se", "--base-url", base]
    for argument in arguments:
        command += ["-a", argument]
    for setting in BENCH_SETTINGS:
        command += ["-s", setting]
    out = subprocess.run(
        [sys.executable, "-c", PEAK_OF, *command], check=True, cwd=ROOT, capture_output=True, text=True
    )
    return time.perf_counter() - started, int(out.stdout.split()[-1])


def bare(base: str) -> tuple[float, int]:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "bare-items.jsonl"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(ROOT / "bench" / "bare_spider.py"),
            "-a",
            f"base_url={base}",
            "-O",
            str(out),
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        check=True,
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    items = sum(1 for _ in out.open())
    out.unlink()
    return seconds, items


def store_vs_insert_all(db_path: Path, work: Path) -> tuple[int, float, float, float]:
    """Seconds for: a bare insert_all as called (it commits every chunk, at most 468 of these
    rows: SQLite's variable limit), the same insert_all in one transaction, and CourseStore
    in the store pipeline's batches."""
    rows = list(sqlite_utils.Database(db_path).query("select * from courses"))
    courses = []
    for row in rows:
        fields = {k: row.get(k) for k in COURSE_FIELDS if k in row and k not in ("removed", "topics")}
        for name in JSON_FIELDS & fields.keys():
            fields[name] = (
                json.loads(fields[name])
                if fields[name]
                else ({} if name in ("title_i18n", "description_i18n", "extras", "text_languages") else [])
            )
        courses.append(Course(**fields))
    bare_db = sqlite_utils.Database(work / "bare.db")
    started = time.perf_counter()
    bare_db["courses"].insert_all(rows, batch_size=500)
    bare_seconds = time.perf_counter() - started
    one_transaction = sqlite_utils.Database(work / "bare-one-transaction.db")
    started = time.perf_counter()
    with one_transaction.atomic():
        one_transaction["courses"].insert_all(rows, batch_size=500)
    one_transaction_seconds = time.perf_counter() - started
    ours = open_db(work / "ours.db")
    store = CourseStore(ours, "susanavet_se", run_id=1)
    started = time.perf_counter()
    for start in range(0, len(courses), STORE_BATCH):  # as the store pipeline writes them
        store.write(courses[start : start + STORE_BATCH])
    store.finish()  # as the store pipeline does when the run ends: a bulk load makes its indexes
    return len(rows), bare_seconds, one_transaction_seconds, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/aggregator-bench"))
    args = parser.parse_args()
    data = args.work / f"synthetic-{args.events}"
    if not data.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "synthetic.py"),
                str(data),
                "--events",
                str(args.events),
                "--implementations",
                "10",
            ],
            check=True,
        )
    for stale in args.work.glob("*.db*"):
        stale.unlink()
    with ReplayServer(data) as server:
        base = server.base_url + "/susa-navet/emil3"
        bare_seconds, bare_items = bare(base)
        first, peak = crawl(args.work / "run.db", base)
        second, _ = crawl(args.work / "run.db", base)
        third, _ = crawl(args.work / "run.db", base, "incremental=1")
    db = sqlite_utils.Database(args.work / "run.db")
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    items = runs[0]["items"]
    counters = [json.loads(r["counters"] or "{}") for r in runs]
    rows, insert_all_seconds, one_transaction_seconds, store_seconds = store_vs_insert_all(
        args.work / "run.db", args.work
    )
    print(f"synthetic Susa-navet events: {args.events} ({items} active listings stored)")
    print(f"bare Scrapy spider (no pipelines):   {bare_items / bare_seconds:8.0f} items/s  ({bare_seconds:.1f}s)")
    print(
        f"crawl + pipelines, no MT (1st run):  {items / first:8.0f} items/s  ({first:.1f}s) = "
        f"{bare_items / bare_seconds and (items / first) / (bare_items / bare_seconds):.0%} of the bare ceiling"
    )
    print(
        f"unchanged 2nd run:                   {items / second:8.0f} items/s  ({second:.1f}s) = {first / second:.1f}x "
        f"faster; model calls {counters[1].get('translate/model_calls', 0)}; "
        f"changed {runs[1]['changed']}, removed {runs[1]['removed']}"
    )
    print(
        f"unchanged incremental run:           {third:.1f}s = {first / third:.1f}x faster (change feed: events "
        f"updated since the last clean run; "
        f"model calls {counters[2].get('translate/model_calls', 0)}, changed {runs[2]['changed']}, removed "
        f"{runs[2]['removed']})"
    )
    print(
        f"database build, {rows} rows: bare insert_all {rows / insert_all_seconds:.0f} rows/s, CourseStore "
        f"{rows / store_seconds:.0f} rows/s "
        f"= {store_seconds / insert_all_seconds:.1f}x the bare time; bare insert_all in one transaction "
        f"{rows / one_transaction_seconds:.0f} rows/s "
        f"= {store_seconds / one_transaction_seconds:.1f}x"
    )
    print(f"peak memory of the first crawl's processes: {peak} MB")


if __name__ == "__main__":
    main()
