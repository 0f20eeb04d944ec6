"""Datasette at national size: latency of the pages people use, under a bounded concurrent load
from a second process on 127.0.0.1, the streamed CSV export and the nightly export files.

    .venv/bin/python bench/bench_datasette.py --from-db /tmp/aggregator-bench/run.db [--rows 300000]

The database is grown to --rows by copying the crawled synthetic listings (bench/bench_crawl.py
writes run.db) under new ids, so pages, facets and full-text search work on realistic rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.publish import METADATA, served  # noqa: E402
from aggregator.snapshot import snapshot  # noqa: E402
from store.files import open_db  # noqa: E402

PAGES = {
    "table page": "/{db}/courses",
    # the four default facets (the metadata's) and the topics
    "facet page": "/{db}/courses?_facet_topic=topics",
    "search": "/{db}/courses?_search=batteri",
    "canned query": "/{db}/supply_by_topic_region_level",
    # the planner's pages (aggregator/web/supply.py), counted once per snapshot
    "/supply (every topic and region)": "/supply",
    "/supply filtered": "/supply?topic=batteries_energy_storage&country=SE",
    "/supply/compare": "/supply/compare?a=SE331&b=FI1D9",
    "/supply.xlsx": "/supply.xlsx?country=FI",
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
        select = ", ".join(f"[{c}] || '-{copy}'" if c in ("id", "source_id") else f"[{c}]" for c in columns)
        with db.atomic():
            db.execute(
                f"insert into courses ({', '.join(f'[{c}]' for c in columns)}) select {select} from courses where id "
                f"not like '%-%' limit {n}"
            )
            db.execute(
                f"insert into course_topics select course_id || '-{copy}', topic, label, matched_terms, "
                f"matched_fields from course_topics "
                f"where course_id not like '%-%' and course_id in (select id from courses where id not like '%-%' "
                f"limit {n})"
            )
        have += n
        copy += 1
    db.execute("analyze")
    db.conn.commit()
    return db["courses"].count


def fetch(url: str) -> float:
    """Seconds to the whole page; negative when the page failed (e.g. Datasette's time limit)."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
    except urllib.error.HTTPError:
        return -(time.perf_counter() - started)
    return time.perf_counter() - started


def distinct_pages(db_path: Path, count: int = REQUESTS_PER_PAGE) -> dict[str, list[str]]:
    """Pages a cache cannot help with: every request its own URL. Facet pages filtered by a
    value people pick (a country, an education type, a region, a level, a topic), searches for
    words that occur in the listings' titles."""
    import random

    rng = random.Random(9)
    db = open_db(db_path)
    filters = [
        f"{column}={urllib.parse.quote(str(value))}"
        for column in ("country", "education_type", "region", "eqf_level")
        for (value,) in db.execute(f"select distinct {column} from courses where {column} is not null")
    ]
    topics = [topic for (topic,) in db.execute("select distinct topic from course_topics")]
    words = sorted(
        {
            word.lower()
            for (title,) in db.execute("select distinct title from courses limit 20000")
            for word in title.split()
            if len(word) >= 4 and word.isalpha()
        }
    )
    # every region of both countries, as the planner's pages offer them (most have no listings here)
    regions = [code for (code,) in db.execute("select nuts3 from supply_regions")]
    db.close()
    facets = PAGES["facet page"].split("?", 1)[1]
    # _page only makes each URL distinct: Datasette ignores it on a table page
    default_urls = [f"/{{db}}/courses?{rng.choice(filters)}&_page={i}" for i in range(count)]
    facet_urls = [f"/{{db}}/courses?{rng.choice(filters)}&{facets}&_page={i}" for i in range(count)]
    search_urls = [
        f"/{{db}}/courses?_search={urllib.parse.quote(word)}" for word in rng.sample(words, min(count, len(words)))
    ]
    # a topic picked in the topics facet (Datasette's __arraycontains filter)
    topic_urls = [f"/{{db}}/courses?topics__arraycontains={rng.choice(topics)}&_page={i}" for i in range(count)]
    # the planner's pages, each its own topic, country or region (filtered grids, comparisons,
    # a gap's page) and the listings behind a gap's nearest offer (a courses page filtered to a
    # topic, a region, an EQF range and current listings), as /supply.json links them
    bands = [
        "operators",
        "technicians",
        "engineers",
        "research",
        "no_level",
    ]
    supply_urls = [
        f"/supply?topic={rng.choice(topics)}&"
        + (f"region={rng.choice(regions)}" if i % 2 else f"country={rng.choice(['FI', 'SE'])}")
        for i in range(count)
    ]
    compare_urls = [f"/supply/compare?a={rng.choice(regions)}&b={rng.choice(regions)}&_={i}" for i in range(count)]
    gap_urls = [
        f"/supply/gap?topic={rng.choice(topics)}&region={rng.choice(regions)}&band={rng.choice(bands)}&_={i}"
        for i in range(count)
    ]
    return {
        "/supply filtered, distinct": supply_urls,
        "/supply/compare, distinct regions": compare_urls,
        "/supply/gap, distinct gaps": gap_urls,
        "default facets, distinct filters": default_urls,
        "facet page, distinct filters": facet_urls,
        "search, distinct words": search_urls,
        "topic picked, distinct pages": topic_urls,
    }


def nearest_offer_links(db_path: Path, count: int = REQUESTS_PER_PAGE) -> list[str]:
    """The courses pages the gaps of /supply link to (the nearest region's listings of the same
    topic and band), as the page builds them, taken from the published snapshot's counts."""
    import random

    from aggregator.supply_counts import BAND_BY_KEY

    rng = random.Random(11)
    db = open_db(db_path)
    cells = db.execute(
        "select topic, nuts3, band from supply_cells where topic != '*' and nuts3 is not null"
    ).fetchall()
    db.close()
    links = []
    for topic, nuts3, band in rng.sample(cells, min(count, len(cells))):
        filters = "&".join(f"{k}={v}" for k, v in BAND_BY_KEY[band].filter_args)
        links.append(f"/{{db}}/courses?topics__arraycontains={topic}&nuts3={nuts3}&{filters}&removed_at__isnull=1")
    return links


def search_shares(db_path: Path, paths: list[str]) -> list[float]:
    """The share of all listings each distinct-words search matches, smallest first (how
    selective the synthetic vocabulary is: a real title word's median is 0.4 % of the
    Opintopolku sample's programmes)."""
    db = open_db(db_path)
    total = db["courses"].count
    shares = []
    for path in paths:
        word = urllib.parse.unquote(path.split("_search=", 1)[1])
        matched = db.execute("select count(*) from courses_fts where courses_fts match ?", [f'"{word}"']).fetchone()[0]
        shares.append(matched / total)
    db.close()
    return sorted(shares)


def load(base: str, name: str, plan: dict[str, list[str]]) -> dict[str, list[float]]:
    """Run in a second process: CLIENTS threads; the same page REQUESTS_PER_PAGE times (repeat
    visits, after CLIENTS concurrent warm-up requests so that every worker has seen it), then
    the distinct pages once each (what a cache cannot help with)."""
    results: dict[str, list[float]] = {}
    only = plan.pop("__only__", None)
    pages = {**PAGES, **plan.pop("__repeat_pages__", {})}
    if only:
        pages = {label: path for label, path in pages.items() if only in label}
        plan = {label: paths for label, paths in plan.items() if only in label}
    with ThreadPoolExecutor(CLIENTS) as pool:
        for label, path in pages.items():
            url = base + path.format(db=name)
            list(pool.map(lambda _: fetch(url), range(CLIENTS)))  # noqa: B023 (consumed at once) warm-up
            results[label] = list(pool.map(lambda _: fetch(url), range(REQUESTS_PER_PAGE)))  # noqa: B023
        for label, paths in plan.items():
            results[label] = list(pool.map(lambda path: fetch(base + path.format(db=name)), paths))
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        print(json.dumps(load(sys.argv[2], sys.argv[3], json.loads(Path(sys.argv[4]).read_text()))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-db", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/aggregator-bench"))
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="Datasette worker processes (default: one per core, as `aggregator serve`)",
    )
    parser.add_argument(
        "--mutable",
        action="store_true",
        help="serve the file as a live database instead of an immutable published snapshot",
    )
    parser.add_argument(
        "--nginx",
        action="store_true",
        help="measure through deploy/nginx.conf's cache in front of the server (needs nginx)",
    )
    parser.add_argument(
        "--stock",
        action="store_true",
        help="serve with stock `datasette serve -i SNAPSHOT -m datasette_metadata.yml` (one process) instead of "
        "`aggregator serve`",
    )
    parser.add_argument("--keep", action="store_true", help="reuse a grown database from an earlier run")
    parser.add_argument(
        "--only",
        help="measure only the pages whose label contains this (e.g. supply, gap), without the CSV and export files",
    )
    args = parser.parse_args()
    # named as the metadata's database: stock `datasette serve` applies the metadata by name
    db_path = args.work / "aggregator.db"
    started = time.perf_counter()
    if args.keep and db_path.exists():
        rows = open_db(db_path)["courses"].count
    else:
        grown = args.work / "grown.db"
        for stale in [*args.work.glob("aggregator.db*"), *args.work.glob("grown.db*")]:
            stale.unlink()
        rows = grow(args.from_db, grown, args.rows)
        snapshot(grown, db_path)  # what the nightly job publishes for `aggregator serve --immutable`
        for done in args.work.glob("grown.db*"):
            done.unlink()
    print(
        f"database: {rows} courses (ready in {time.perf_counter() - started:.0f}s); "
        f"{args.workers} worker process(es), "
        + ("mutable" if args.mutable else "immutable snapshot")
        + (", stock `datasette serve`" if args.stock else "")
        + (", through deploy/nginx.conf's cache" if args.nginx else "")
    )
    # a listing's row page and the cross-border map page (the map's markers load from its JSON)
    with open_db(db_path) as listing_db:
        listing = listing_db.execute("select id from courses order by rowid limit 1").fetchone()[0]
    repeat_pages = {
        "row page": f"/{{db}}/courses/{listing}",
        "map page": "/{db}/battery_green_across_the_border",
        "map page JSON": "/{db}/battery_green_across_the_border.json?_shape=objects",
    }
    plan = args.work / "datasette-pages.json"
    pages = distinct_pages(db_path)
    pages["supply gap link (the listings of a gap's nearest offer)"] = nearest_offer_links(db_path)
    plan.write_text(json.dumps({**pages, "__repeat_pages__": repeat_pages, "__only__": args.only}))
    shares = search_shares(db_path, pages["search, distinct words"])
    print(
        "listings matched by each distinct-words search: p10 {:.2%}, p50 {:.2%}, p90 {:.2%}".format(
            *(shares[int(q * (len(shares) - 1))] for q in (0.1, 0.5, 0.9))
        )
    )
    stock = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "-i",
        str(db_path),
        "-m",
        str(METADATA),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ]
    from contextlib import nullcontext

    from aggregator.http_cache import nginx_in_front

    with (
        served(
            str(db_path), workers=args.workers, immutable=not args.mutable, command=stock if args.stock else None
        ) as server,
        nginx_in_front(server) if args.nginx else nullcontext(server) as base,
    ):
        out = subprocess.run(
            [sys.executable, __file__, "--load", base, db_path.stem, str(plan)], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(f"the load process failed:\n{out.stderr[-3000:]}")
        results = json.loads(out.stdout)
        print(f"latency under {CLIENTS} concurrent clients ({REQUESTS_PER_PAGE} requests per page):")
        for label, times in results.items():
            failed = sum(1 for t in times if t < 0)
            times = sorted(abs(t) for t in times)
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(
                f"  {label:40} p50 {1000 * statistics.median(times):6.0f} ms   p95 {1000 * p95:6.0f} ms"
                + (f"   {failed} failed (over sql_time_limit_ms)" if failed else "")
            )
        if args.only:
            return
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/{db_path.stem}/courses.csv?_stream=on&_size=max", timeout=600) as response:
            lines = sum(1 for _ in response) - 1
        seconds = time.perf_counter() - started
        print(
            f"streamed CSV of every course: {lines} rows in {seconds:.1f}s = {lines / seconds:.0f} rows/s"
            + ("" if lines == rows else f" - INCOMPLETE: {rows} courses (the last line says why)")
        )
    from aggregator.export import export

    started = time.perf_counter()
    counts = export(str(db_path), args.work / "exports")
    print(
        f"nightly export files (CSV, JSON Lines, Parquet of {sum(counts.values())} rows in all tables): "
        f"{time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
