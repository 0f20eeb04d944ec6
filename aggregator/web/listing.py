"""What a listing's row page shows beside its columns (templates/row-aggregator-courses.html): its
topics with the words that matched, the English labels of its values, and the other sources that
list the same offering (course_duplicates: a provider's own page of a register's course), what a
student from the other country needs to know and where to apply (border), every value in words
(words)."""

from __future__ import annotations

import json
from typing import Any

from aggregator.web.border import across_the_border
from aggregator.web.words import safe_url, words_for


def listing_vars(datasette, database: str, request) -> Any:
    async def inner() -> dict[str, Any]:
        db = datasette.get_database(database)
        listing = request.url_vars.get("pks")
        topics: list[dict[str, str]] = []
        if listing and await db.table_exists("course_topics"):
            rows = await db.execute(
                "select topic, label, matched_terms, matched_fields from course_topics where course_id = :id order by "
                "label",
                {"id": listing},
            )
            for topic, label, terms, fields in rows.rows:
                topics.append(
                    {
                        "topic": topic,
                        "label": label,
                        "terms": ", ".join(json.loads(terms or "[]")),
                        "fields": ", ".join(json.loads(fields or "[]")),
                    }
                )
        also: list[dict[str, str]] = []
        if listing and await db.table_exists("course_duplicates"):
            rows = await db.execute(
                "select source, url, source_url from course_duplicates where duplicate_of = :id order by source",
                {"id": listing},
            )
            also = [
                {"source": source, "url": safe_url(url) or safe_url(source_url)}
                for source, url, source_url in rows.rows
            ]
        words = await words_for(db)
        row = None
        if listing:
            found = await db.execute("select * from courses where id = :id", {"id": listing})
            row = dict(found.first()) if found.rows else None
        return {
            "listing_topics": topics,
            "listing_labels": words.labels,
            "listing_also": also,
            "words": words,
            "safe_url": safe_url,
            "across": across_the_border(row, words) if row else None,
        }

    return inner
