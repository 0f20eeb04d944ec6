"""The topics of the listings as a facet and a filter, for Datasette.

A listing's topics are a JSON array (``courses.topics``) and, one per row, the ``course_topics``
table written with the listing. Datasette's own array facet (``_facet_array=topics``) stays
available, but it counts by de-duplicating (value, every column of the row) pairs: at 300,000
listings one page of it copied 69,000 wide rows and took 1.4 s. ``TopicFacet`` is a facet type
of its own (``_facet_topic=topics``, or ``{"topic": "topics"}`` in the metadata's ``facets``),
registered beside Datasette's: it counts each value at its first position in a row's array,
which needs only the array column, so SQLite reads it from an index that holds it (the facet
indexes end with ``topics``). A value picked in it filters with Datasette's own
``topics__arraycontains``, and ``topic_lookup`` makes such a page visit only the tagged listings
when the topic is rare.
"""

from __future__ import annotations

import json

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from aggregator.snapshot import FACET_COUNTS_TABLE, TOPIC_COUNTS_TABLE
from aggregator.web.counted import filter_pairs, page_counts

TOPICS_COLUMN = "topics"
TOPIC_TABLE = "course_topics"
TOPIC_FILTER = f"{TOPICS_COLUMN}__arraycontains"
# A topic page looks its listings up in course_topics only when the topic tags fewer than this
# share of all listings; above it, reading every listing's array from the facet index is faster.
# Measured on a published snapshot of 300,000 listings (bench/page_costs.py), with its index of
# the listings by id (aggregator.snapshot.shape_for_the_site): a topic on 11.6 % of the
# listings 421 ms with the lookup, 555 ms without; on 3.3 % 165 / 555 ms; on 0.26 % 59 / 605 ms.
TOPIC_LOOKUP_MAX_SHARE = 0.2


def topic_counts_sql(sql: str, column: str, limit: int) -> str:
    """Each distinct value of ``column`` (a JSON array) in the rows of ``sql``, with how many
    rows hold it; a value twice in one array counts once (at its first position)."""
    col = escape_sqlite(column)
    return f"""
        select item.value as value, count(*) as count
        from ({sql}) as facet_rows
        join json_each(facet_rows.{col}) as item
        where item.key =
            (select min(first.key) from json_each(facet_rows.{col}) as first where first.value = item.value)
        group by item.value
        order by count(*) desc, item.value
        limit {limit}
    """


class TopicFacet(Facet):
    """Listings per topic, shown by the topic's English label (``course_topics.label``)."""

    type = "topic"

    async def suggest(self):
        return []  # offered by the metadata and the table page's links, not guessed per column

    async def _on_every_listing(self) -> bool:
        """Whether the page is the whole courses table (no filter, search, ``_where`` or next-page
        cursor in its address: Datasette counts a next page's facets from its cursor on): its
        topics are then counted from ``course_topics``, the same tags one per row (written with
        the listing), instead of opening every listing's array (98 -> 5 ms at 300,000 listings)."""
        if filter_pairs(self.request) != []:
            return False
        return await self.ds.get_database(self.database).table_exists(TOPIC_TABLE)

    async def _labels(self, values: list[str]) -> dict[str, str]:
        """Each topic's English label, from one tag of it in course_topics (a seek per topic,
        not a read of every tag: 29 -> under 1 ms at 300,000 listings)."""
        db = self.ds.get_database(self.database)
        if not values or not await db.table_exists(TOPIC_TABLE):
            return {}
        rows = await db.execute(
            f"select shown.value, (select label from [{TOPIC_TABLE}] where topic = shown.value and label is not null "
            f"limit 1)"
            " from json_each(:topics) as shown",
            {"topics": json.dumps(values)},
        )
        return {topic: label for topic, label in rows.rows if label}

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            counts = await page_counts(self) if column == TOPICS_COLUMN else None
            if counts is not None and counts[0] == FACET_COUNTS_TABLE:
                # a snapshot's page narrowed by counted columns only: per topic from its counts
                # (a topic's page needs which other topics its listings carry: not in the counts)
                where = f"where {' and '.join(counts[1])}" if counts[1] else ""
                sql, params = (
                    (
                        f"select topic as value, sum(listings) as count from [{TOPIC_COUNTS_TABLE}] {where}"
                        f" group by topic order by count desc, topic limit {size + 1}"
                    ),
                    counts[2],
                )
            elif column == TOPICS_COLUMN and self.table == "courses" and await self._on_every_listing():
                sql, params = (
                    (
                        f"select topic as value, count(*) as count from [{TOPIC_TABLE}] group by topic"
                        f" order by count(*) desc, topic limit {size + 1}"
                    ),
                    {},
                )
            else:
                sql, params = topic_counts_sql(self.sql, column, size + 1), self.params
            try:
                rows = await self.ds.execute(
                    self.database, sql, params, truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms")
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            shown = [row for row in rows.rows[:size]]
            labels = await self._labels([str(row["value"]) for row in shown]) if column == TOPICS_COLUMN else {}
            values = []
            for row in shown:
                value = str(row["value"])
                arg = {f"{column}__arraycontains": value}
                selected = (f"{column}__arraycontains", value) in pairs
                toggle = (
                    path_with_removed_args(self.request, arg) if selected else path_with_added_args(self.request, arg)
                )
                values.append(
                    {
                        "value": value,
                        "label": labels.get(value, value),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{self.type}": column})
                    ),
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out


def topic_lookup(request, database, table, datasette):
    """``filters_from_request``: a topic picked in the facet (``topics__arraycontains=X``) is
    also looked up in ``course_topics`` (the same tags, one per row, with an index on the topic)
    when it tags fewer than TOPIC_LOOKUP_MAX_SHARE of the listings, so SQLite visits only the
    tagged listings for the page's count, rows and facets instead of opening every listing's
    array. Datasette's own array filter still applies, so the rows are the same."""
    values = request.args.getlist(TOPIC_FILTER)
    if table != "courses" or not values:
        return None

    async def lookup():
        db = datasette.get_database(database)
        if not await db.table_exists(TOPIC_TABLE):
            return None
        clauses, params = [], {}
        for i, value in enumerate(values):
            # max(rowid): the number of listings, near enough and without counting them
            share = (
                await db.execute(
                    f"select (select count(*) from [{TOPIC_TABLE}] where topic = :topic) * 1.0"
                    " / max(1, (select max(rowid) from courses))",
                    {"topic": value},
                )
            ).first()[0]
            if share < TOPIC_LOOKUP_MAX_SHARE:
                clauses.append(f"[id] in (select course_id from [{TOPIC_TABLE}] where topic = :topic_tagged_{i})")
                params[f"topic_tagged_{i}"] = value
        return FilterArguments(clauses, params) if clauses else None

    return lookup
