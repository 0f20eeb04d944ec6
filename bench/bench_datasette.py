"""Datasette at national size: latency of the pages people use, under a bounded concurrent load
from a second process on 127.0.0.1, the streamed CSV export and the nightly export files.

    .venv/bin/python bench/bench_datasette.py --from-db /tmp/aggregator-bench/run.db [--rows 300000]

The database is grown to --rows by copying the crawled synthetic listings (bench/bench_crawl.py
writes run.db) under new ids, so pages, facets and full-text search work on realistic rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.db import open_db  # noqa: E402
from aggregator.publish import datasette_command  # noqa: E402

PAGES = {
    "table page": "/{db}/courses",
    "facet page": "/{db}/courses?_facet=education_type&_facet=region&_facet=eqf_level&_facet_array=topics",
    "search": "/{db}/courses?_search=batteri",
    "canned query": "/{db}/supply_by_topic_region_level",
}
CLIENTS = 4
REQUESTS_PER_PAGE = 40


def grow(source: Path, target: Path, rows: int) -> int:
    shutil.copy(source, target)
    db = open_db(target)
    have = originals = db["courses"].count
    columns = [c for c in db["courses"].columns_dict]
    copy = 1
    while have < rows:
        n = min(originals, rows - have)
        select = ", ".join(
            f"[{c}] || '-{copy}'" if c in ("id", "source_id") else f"[{c}]" for c in columns
        )
        with db.atomic():
            db.execute(f"insert into courses ({', '.join(f'[{c}]' for c in columns)}) select {select} from courses where id not like '%-%' limit {n}")
            db.execute(f"insert into course_topics select course_id || '-{copy}', topic, label, matched_terms, matched_fields from course_topics "
                       f"where course_id not like '%-%' and course_id in (select id from courses where id not like '%-%' limit {n})")
        have += n
        copy += 1
    db.execute("analyze")
    db.conn.commit()
    return db["courses"].count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return time.perf_counter() - started


def load(base: str, name: str) -> dict[str, list[float]]:
    """Run in a second process: CLIENTS threads, each page REQUESTS_PER_PAGE times in all."""
    results: dict[str, list[float]] = {}
    with ThreadPoolExecutor(CLIENTS) as pool:
        for label, path in PAGES.items():
            url = base + path.format(db=name)
            fetch(url)  # warm
            results[label] = list(pool.map(lambda _: fetch(url), range(REQUESTS_PER_PAGE)))
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        print(json.dumps(load(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-db", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/aggregator-bench"))
    args = parser.parse_args()
    db_path = args.work / "datasette.db"
    for stale in args.work.glob("datasette.db*"):
        stale.unlink()
    started = time.perf_counter()
    rows = grow(args.from_db, db_path, args.rows)
    print(f"database: {rows} courses (grown in {time.perf_counter() - started:.0f}s)")
    port = free_port()
    server = subprocess.Popen(datasette_command(sys.executable, str(db_path), "127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                fetch(base + "/-/versions.json")
                break
            except OSError:
                time.sleep(0.5)
        out = subprocess.run([sys.executable, __file__, "--load", base, db_path.stem], capture_output=True, text=True, check=True)
        results = json.loads(out.stdout)
        print(f"latency under {CLIENTS} concurrent clients ({REQUESTS_PER_PAGE} requests per page):")
        for label, times in results.items():
            times = sorted(times)
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"  {label:13} p50 {1000 * statistics.median(times):6.0f} ms   p95 {1000 * p95:6.0f} ms")
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/{db_path.stem}/courses.csv?_stream=on&_size=max", timeout=600) as response:
            lines = sum(1 for _ in response) - 1
        seconds = time.perf_counter() - started
        print(f"streamed CSV of every course: {lines} rows in {seconds:.1f}s = {lines / seconds:.0f} rows/s")
    finally:
        server.terminate()
        server.wait()
    from aggregator.export import export

    started = time.perf_counter()
    counts = export(str(db_path), args.work / "exports")
    print(f"nightly export files (CSV, JSON Lines, Parquet of {sum(counts.values())} rows in all tables): {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
