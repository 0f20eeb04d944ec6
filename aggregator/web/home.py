"""What the home page shows (templates/index.html): the listings per country, the English
coverage measured on the data, the topics and regions as entry points, and the sources with their
freshness."""

from __future__ import annotations

import time
from typing import Any

from aggregator.labels import COUNTRIES
from aggregator.report import HAS_ENGLISH_TITLE
from aggregator.web.counted import all_value_labels


def home_vars(datasette) -> Any:
    async def inner() -> dict[str, Any]:
        name, db = next(
            ((n, d) for n, d in datasette.databases.items() if n != "_internal" and not d.is_memory), (None, None)
        )
        if db is None or not await db.table_exists("courses"):
            return {"home": None}
        home: dict[str, Any] = {"database": name}
        rows = await db.execute(
            f"select country, count(*), sum({HAS_ENGLISH_TITLE})"
            " from courses where removed_at is null group by country order by country"
        )
        home["countries"] = [
            {"country": c, "name": COUNTRIES.get(c, c), "listings": n, "english": e or 0} for c, n, e in rows.rows
        ]
        total = sum(c["listings"] for c in home["countries"])
        english = sum(c["english"] for c in home["countries"])
        home["listings"], home["english_share"] = total, (100.0 * english / total if total else 0.0)
        labels = await all_value_labels(db)
        home["topics"] = []
        if await db.table_exists("course_topics"):
            rows = await db.execute(
                "select topic, max(label), count(*) from course_topics group by topic order by count(*) desc"
            )
            home["topics"] = [{"topic": t, "label": l or t, "listings": n} for t, l, n in rows.rows]
        rows = await db.execute(
            "select country, region, count(*) from courses where removed_at is null and region is not null"
            " group by country, region order by country, count(*) desc"
        )
        home["regions"] = [
            {"country": c, "region": r, "label": labels.get(("region", r), r), "listings": n} for c, r, n in rows.rows
        ]
        home["sources"] = []
        if await db.table_exists("source_health") or "source_health" in await db.view_names():
            rows = await db.execute(
                "select s.source, coalesce(src.title, s.source), s.listings, s.last_successful_crawl,"
                " s.hours_since_success, s.english_title_percent from source_health s"
                " left join sources src on src.name = s.source order by s.source"
            )
            home["sources"] = [
                dict(zip(("source", "title", "listings", "last_success", "hours", "english"), row, strict=False))
                for row in rows.rows
            ]
        return {"home": home}

    return inner


# the English coverage per database, counted at most every ten minutes (a published snapshot never
# changes; a live database changes once a night): a table page shows it in its heading
_COVERAGE: dict[str, tuple[float, dict[str, Any]]] = {}
COVERAGE_SECONDS = 600


async def english_coverage(db) -> dict[str, Any] | None:
    if db is None or not await db.table_exists("courses"):
        return None
    cached = _COVERAGE.get(db.name)
    if cached and time.monotonic() - cached[0] < COVERAGE_SECONDS:
        return cached[1]
    total, english = (
        await db.execute(f"select count(*), sum({HAS_ENGLISH_TITLE}) from courses where removed_at is null")
    ).first()
    coverage = {
        "listings": total,
        "english": english or 0,
        "percent": 100.0 * (english or 0) / total if total else 0.0,
    }
    _COVERAGE[db.name] = (time.monotonic(), coverage)
    return coverage


def coverage_vars(datasette, database: str | None, table: str | None) -> Any:
    async def inner() -> dict[str, Any]:
        if table != "courses" or not database:
            return {}
        return {"english_coverage": await english_coverage(datasette.get_database(database))}

    return inner
