"""The hostile-source probes at the size of the issue that asked for them: 3,000 Susa-navet events
(2,000 a page, as the API serves them) and 400 Opintopolku implementations, after a good crawl.
For each misbehaviour it prints what the run did to the stored listings: lost (rows gone),
wrongly removed (removed_at set where the source gave no reason), first_seen changed, and the
run's status, note and telling counters.

    PYTHONPATH=$PWD .venv/bin/python -m bench.bench_hostile [--only total_lower,other_id]

Each crawl is `aggregator crawl` in its own process against tests/hostile_sources.py on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.hostile_sources import HostileSources

REPO = Path(__file__).resolve().parent.parent
API_PATHS = {"opintopolku_fi": "", "susanavet_se": "/susa-navet/emil3"}
# label, server mode, spider, extra CLI arguments
SCENARIOS = [
    ("total_lower", "total_lower", "susanavet_se", ()),
    ("duplicate_rows", "duplicate_rows", "susanavet_se", ()),
    ("other_id", "other_id", "opintopolku_fi", ()),
    ("test_entries_half_page", "test_entries_half_page", "susanavet_se", ()),
    ("test_entries", "test_entries", "susanavet_se", ()),
    ("archived_two_unreadable", "archived_two_unreadable", "opintopolku_fi", ()),
    ("rate_limited", "rate_limited", "opintopolku_fi", ("--timeout", "120")),
    (
        "rate_limited_within_budget",
        "rate_limited",
        "opintopolku_fi",
        ("--timeout", "120", "-s", "AGGREGATOR_RETRY_AFTER_BUDGET=100000"),
    ),
]
COUNTERS = (
    "errors/paging_disagreement",
    "pages/longer_than_size",
    "pages/shorter_than_size",
    "errors/id_mismatch",
    "known_id_errors",
    "errors/invalid_json",
    "store/held_back_removed",
    "store/held_back_pending",
    "store/merged_duplicates",
    "errors/retry_after_budget",
    "retry_after_waits",
)


def crawl(server: HostileSources, db: Path, spider: str, *extra: str) -> tuple[int, float]:
    started = time.monotonic()
    command = [sys.executable, "-m", "aggregator.cli", "--db", str(db), "crawl", spider]
    command += ["--base-url", server.base_url + API_PATHS[spider], *extra]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    return result.returncode, time.monotonic() - started


def state(db: Path) -> dict[str, tuple]:
    with sqlite3.connect(db) as conn:
        return {r[0]: r[1:] for r in conn.execute("select source_id, removed_at, first_seen from courses")}


def last_run(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    row["counters"] = json.loads(row["counters"] or "{}")
    return row


def held_back(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("select source_id from held_back_listings")}


def figures(before: dict, after: dict, expected_out: set[str]) -> dict[str, int]:
    newly_removed = {k for k, v in after.items() if v[0] and not before.get(k, (None,))[0]}
    return {
        "listings_before": len(before),
        "lost": len(set(before) - set(after)),
        "wrongly_removed": len(newly_removed - expected_out),
        "removed_by_the_source": len(newly_removed & expected_out),
        "first_seen_changed": sum(1 for k in before if k in after and after[k][1] != before[k][1]),
    }


def report(mode: str, spider: str, code: int, seconds: float, before: dict, after: dict, db: Path, out: set) -> None:
    run = last_run(db)
    counters = {k: run["counters"][k] for k in COUNTERS if run["counters"].get(k)}
    print(
        json.dumps(
            {
                "mode": mode,
                "spider": spider,
                "exit": code,
                "seconds": round(seconds, 1),
                **figures(before, after, out),
                "status": run["status"],
                "finish_reason": run["finish_reason"],
                "note": run["note"],
                "counters": counters,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--implementations", type=int, default=400)
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--only", default="", help="comma-separated modes")
    args = parser.parse_args()
    only = {m for m in args.only.split(",") if m}
    server = HostileSources(events=args.events, implementations=args.implementations, page_size=args.page_size)
    server.start()
    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    try:
        good = {}
        for spider in sorted({s for label, _, s, _ in SCENARIOS if not only or label in only}):
            server.set_mode("good")
            good[spider] = folder / f"{spider}-good.db"
            code, seconds = crawl(server, good[spider], spider)
            print(
                json.dumps(
                    {
                        "good_crawl": spider,
                        "exit": code,
                        "seconds": round(seconds, 1),
                        "listings": len(state(good[spider])),
                    }
                ),
                flush=True,
            )
        for label, mode, spider, extra in SCENARIOS:
            if only and label not in only:
                continue
            db = folder / f"{label}.db"
            shutil.copy(good[spider], db)
            before = state(db)
            server.set_mode(mode)
            code, seconds = crawl(server, db, spider, *extra)
            after = state(db)
            # what the source itself took out: its archival record, its test entries (clean run)
            out = held_back(db) if mode == "test_entries" else set()
            if mode == "archived_two_unreadable":
                out = {server.oids[2]}
            report(label, spider, code, seconds, before, after, db, out)
            if mode == "test_entries":  # the test entries become real listings again
                server.set_mode("good")
                code, seconds = crawl(server, db, spider)
                report("test_entries_back", spider, code, seconds, before, state(db), db, set())
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
