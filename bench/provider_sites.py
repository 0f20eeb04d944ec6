"""Provider web sites, measured: a crawl of the written schema.org site (tests/fixtures) twice on
127.0.0.1 — requests, listings, seconds, and what the page cache spared the second time — and
the cost of matching provider-site listings with a large register database.

    .venv/bin/python bench/provider_sites.py [--from-db /tmp/aggregator-bench-300k/run.db --site-listings 500]

Prints figures; asserts nothing. Crawl-delay is set to 0 in the copy served, so the seconds are
the crawler's own work, not its politeness.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aggregator.replay import ReplayServer  # noqa: E402

SITE = REPO / "tests" / "fixtures" / "schemaorg_courses" / "uas_sitemap" / "responses"


def crawl_twice() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-sites-"))
    folder = work / "site"
    shutil.copytree(SITE, folder)
    robots = folder / "www.akkuamk.example" / "robots.txt"
    robots.write_text(robots.read_text("utf-8").replace("Crawl-delay: 2", "Crawl-delay: 0"), "utf-8")
    db_path = work / "aggregator.db"
    with ReplayServer(folder) as server:
        base = server.base_url + "/www.akkuamk.example"
        for run in (1, 2):
            server.requests.clear()
            started = time.monotonic()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "aggregator.cli",
                    "--db",
                    str(db_path),
                    "crawl",
                    "schemaorg_courses",
                    "-a",
                    f"sitemap_url={base}/robots.txt",
                    "-a",
                    f"base_url={base}",
                    "-a",
                    "site_url=https://www.akkuamk.example",
                    "-a",
                    "sitemap_follow=courses",
                    "-a",
                    "page_patterns=/koulutus/,/utbildning/,/courses/",
                ],
                cwd=REPO,
                capture_output=True,
                check=False,
            )
            seconds = time.monotonic() - started
            statuses = Counter(r["status"] for r in server.requests)
            pages = [
                r for r in server.requests if any(p in r["path"] for p in ("/koulutus/", "/utbildning/", "/courses/"))
            ]
            row = (
                sqlite3.connect(db_path)
                .execute("select items, new, unchanged, missing_fields from crawl_runs order by id desc limit 1")
                .fetchone()
            )
            print(
                f"run {run}: {len(server.requests)} requests ({dict(sorted(statuses.items()))}), {len(pages)} course "
                f"pages asked for, "
                f"{row[0]} listings ({row[1]} new, {row[2]} unchanged), {seconds:.1f} s incl. process start; missing "
                f"{json.loads(row[3])}"
            )
    shutil.rmtree(work, ignore_errors=True)


def matching(db_path: str, site_listings: int) -> None:
    """Time store.offerings.register_matches for one provider's site: listings that copy
    (title, start, town) of random register listings in the busiest municipality, half with
    another spelling of the title, and the provider named differently."""
    import sqlite_utils

    from store.offerings import register_matches

    db = sqlite_utils.Database(db_path)
    town = db.execute(
        "select municipality_code from courses where removed_at is null group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    sample = list(
        db.query(
            "select title, start_date, municipality_code, provider_name, country from courses "
            "where removed_at is null and start_date is not null and title is not null and municipality_code = ? "
            "order by random() limit ?",
            [town, site_listings],
        )
    )
    rows = []
    for n, r in enumerate(sample):
        title = r["title"] if n % 2 else r["title"].upper() + "."
        rows.append(
            {
                "id": f"site-{n}",
                "title": title,
                "start_date": r["start_date"],
                "municipality_code": r["municipality_code"],
                "provider_name": "Another spelling of the provider",
                "country": r["country"],
                "extras": "{}",
            }
        )
    random.shuffle(rows)
    started = time.monotonic()
    found = register_matches(db, rows)
    seconds = time.monotonic() - started
    total = db.execute("select count(*) from courses").fetchone()[0]
    print(f"matching {len(rows)} site listings against {total} listings: {len(found)} matched in {seconds:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-db", help="a large database (bench/bench_crawl.py makes one) to time the matching on")
    parser.add_argument("--site-listings", type=int, default=500)
    options = parser.parse_args()
    crawl_twice()
    if options.from_db:
        matching(options.from_db, options.site_listings)
