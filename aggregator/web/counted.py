"""Column facets counted from a published snapshot's counts: a facet type of its own.

Datasette counts a column facet over every listing the page shows: at 300,000 listings each of
the four default facets of a country's page reads 150,000 index entries (15-30 ms each, on every
page view). A published snapshot (aggregator.snapshot.write_facet_counts) keeps its listings
counted per combination of the facet columns, and per topic; ``CountedFacet`` (type "counted":
``{"counted": "region"}`` in the metadata's ``facets``, ``_facet_counted=region`` in an address)
reads those counts when the page is narrowed only by Datasette's column filters on counted
columns and at most one picked topic, which it reads from the request's own arguments. Any other
page (a search, ``_where``, a next page, another filter, a live database without counts) is
counted with Datasette's own column-facet query over the page's query, so the results are
Datasette's either way; the facet's values, order, links and truncation are built as Datasette's
column facet builds them. Registered through ``register_facet_classes`` beside Datasette's own.
"""

from __future__ import annotations

import json
import os
from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import Filters
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from aggregator.labels import LABELS_TABLE
from aggregator.snapshot import FACET_COUNTS_TABLE, TOPIC_COUNTS_TABLE

TOPIC_FILTER = "topics__arraycontains"
# Datasette's lookups that test a listing's own value of a column: the same listings are selected
# from the counts per value as from the listings
ROW_LOOKUPS = {
    "exact",
    "not",
    "contains",
    "endswith",
    "startswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "like",
    "notlike",
    "glob",
    "in",
    "notin",
    "isnull",
    "notnull",
    "isblank",
    "notblank",
}

# arguments of a table page that change how it is shown, not which listings it counts
PRESENTATION_ARGS = (
    "_facet",
    "_size",
    "_sort",
    "_col",
    "_nocol",
    "_allcolumns",
    "_labels",
    "_shape",
    "_json",
    "_trace",
    "_nofacet",
    "_nocount",
    "_extra",
    "_stream",
    "_dl",
    "_page",
)

# per database file (path, size, modification time): its counted columns and whether it counts
# topics, or None when it has no counts that add up to its listings
_counts_of_file: dict[tuple, tuple[frozenset[str], bool] | None] = {}


async def counts_of(db) -> tuple[frozenset[str], bool] | None:
    """The counted columns and whether topics are counted, for an immutable snapshot whose counts
    add up to its listings; None otherwise (a live database, an older snapshot)."""
    if db.is_mutable or not db.path:
        return None
    stat = os.stat(db.path)
    key = (db.path, stat.st_size, stat.st_mtime_ns)
    if key not in _counts_of_file:
        found = None
        if await db.table_exists(FACET_COUNTS_TABLE):
            counted, listings = (
                await db.execute(
                    f"select (select sum(listings) from [{FACET_COUNTS_TABLE}]), (select count(*) from courses)"
                )
            ).first()
            if counted == listings:
                columns = frozenset(await db.table_columns(FACET_COUNTS_TABLE)) - {"listings"}
                found = (columns, await db.table_exists(TOPIC_COUNTS_TABLE))
        _counts_of_file[key] = found
    return _counts_of_file[key]


def filter_pairs(request) -> list[tuple[str, str]] | None:
    """The page's column filters from its address (``column=value``, ``column__lookup=value``),
    or None when anything else narrows it (a search, ``_where``, a next-page cursor, ...)."""
    args = request.args
    if any(key.startswith("_") and "__" not in key and not key.startswith(PRESENTATION_ARGS) for key in args):
        return None
    return [(key, value) for key in args if key and not key.startswith("_") for value in args.getlist(key)]


async def page_counts(facet: Facet) -> tuple[str, list[str], dict[str, Any], frozenset[str]] | None:
    """The facet's page as a query on the counts (table, where clauses, parameters, counted
    columns), when the page is the courses table of a snapshot with counts narrowed only by
    filters on counted columns and at most one topic; None otherwise."""
    if facet.table != "courses":
        return None
    available = await counts_of(facet.ds.get_database(facet.database))
    if available is None:
        return None
    columns, topics_counted = available
    pairs = filter_pairs(facet.request)
    if pairs is None:
        return None  # _search, _where, _next, _through ...: counted from the listings
    topics = [value for key, value in pairs if key == TOPIC_FILTER]
    others = [(key, value) for key, value in pairs if key != TOPIC_FILTER]
    if len(topics) > 1 or (topics and not topics_counted):
        return None
    for key, _ in others:
        column, lookup = key.rsplit("__", 1) if "__" in key else (key, "exact")
        if column not in columns or lookup not in ROW_LOOKUPS:
            return None
    clauses, params = Filters(sorted(others)).build_where_clauses(FACET_COUNTS_TABLE)
    table = FACET_COUNTS_TABLE
    if topics:
        table = TOPIC_COUNTS_TABLE
        clauses.append("topic = :counted_topic")
        params["counted_topic"] = topics[0]
    return table, clauses, params, columns


async def all_value_labels(db) -> dict[tuple[str, str], str]:
    """Every (column, value) -> label of the database's label table (aggregator.labels); empty
    where there is none."""
    if not await db.table_exists(LABELS_TABLE):
        return {}
    rows = await db.execute(f"select [column], value, label from [{LABELS_TABLE}]")
    return {(column, value): label for column, value, label in rows.rows}


async def value_labels(db, column: str, values: list[Any]) -> dict[tuple[str, Any], str]:
    """English labels of a facet's values from the database's label table (aggregator.labels),
    keyed as Datasette's own label expansion keys them."""
    if not values or not await db.table_exists(LABELS_TABLE):
        return {}
    rows = await db.execute(
        f"select value, label from [{LABELS_TABLE}] where [column] = :column and value in (select value from "
        f"json_each(:values))",
        {"column": column, "values": json.dumps([str(v) for v in values])},
    )
    by_text = {value: label for value, label in rows.rows}
    return {(column, v): by_text[str(v)] for v in values if str(v) in by_text}


def _sqlite_order(value: Any) -> tuple:
    """SQLite's order of values: numbers, then text (by code point, as BINARY), then blobs."""
    rank = 1 if isinstance(value, (int, float)) else 2 if isinstance(value, str) else 3
    return rank, value


class CountedFacet(Facet):
    type = "counted"

    async def suggest(self):
        return []

    def _reads_rows_anyway(self) -> bool:
        """Whether the page is narrowed by something no index counts (a search, ``_where``, a
        topic): its listings are then read once for every facet together rather than once per
        facet. A page narrowed by columns only counts each facet from an index instead."""
        return any(
            key in ("_search", "_where") or key.startswith("_search_") or key.endswith("__arraycontains")
            for key in self.request.args
        )

    async def _together(self, columns: list[str], limit: int) -> dict[str, list[dict[str, Any]]]:
        """Each column's facet rows from one grouping of the page's listings by all the columns:
        the same values, counts and order as Datasette's query per column (most listings first,
        then by value in SQLite's order). A search matching 8,000 of 300,000 listings: 4 x 14 ms
        -> one query."""
        grouped = ", ".join(escape_sqlite(c) for c in columns)
        rows = await self.ds.execute(
            self.database,
            f"select {grouped}, count(*) from ({self.sql}) group by {grouped}",
            self.params,
            truncate=False,
            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )
        tallies = {column: {} for column in columns}
        for row in rows.rows:
            for i, column in enumerate(columns):
                if row[i] is not None:
                    tallies[column][row[i]] = tallies[column].get(row[i], 0) + row[len(columns)]
        return {
            column: [
                {"value": value, "count": n}
                for value, n in sorted(tally.items(), key=lambda item: (-item[1], _sqlite_order(item[0])))[:limit]
            ]
            for column, tally in tallies.items()
        }

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        counts = await page_counts(self)
        together: dict[str, list] = {}
        configured = [c["config"].get("column") or c["config"]["simple"] for c in self.get_configs()]
        if counts is None and len(configured) > 1 and self._reads_rows_anyway():
            try:
                together = await self._together(configured, size + 1)
            except QueryInterrupted:
                together = {}  # each facet alone instead
        for source_and_config in self.get_configs():
            column = source_and_config["config"].get("column") or source_and_config["config"]["simple"]
            col = escape_sqlite(column)
            if column in together:
                sql = None
            elif counts is not None and column in counts[3]:
                table, clauses, params, _ = counts
                where = " and ".join([*clauses, f"{col} is not null"])
                sql = (
                    f"select {col} as value, sum(listings) as count from [{table}] where {where}"
                    f" group by {col} order by count desc, value limit {size + 1}"
                )
            else:  # Datasette's own column facet query
                sql = (
                    f"select {col} as value, count(*) as count from ({self.sql}) where {col} is not null"
                    f" group by {col} order by count desc, value limit {size + 1}"
                )
                params = self.params
            try:
                rows = (
                    together[column]
                    if sql is None
                    else (
                        await self.ds.execute(
                            self.database,
                            sql,
                            params,
                            truncate=False,
                            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                        )
                    ).rows
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            shown = rows[:size]
            expanded = (
                await self.ds.expand_foreign_keys(self.database, self.table, column, [r["value"] for r in shown])
                if self.table
                else {}
            )
            expanded.update(
                await value_labels(self.ds.get_database(self.database), column, [r["value"] for r in shown])
            )
            values = []
            for row in shown:
                column_qs = f"{column}__exact" if column.startswith("_") else column
                selected = (column_qs, str(row["value"])) in pairs
                toggle = (
                    path_with_removed_args(self.request, {column_qs: str(row["value"])})
                    if selected
                    else path_with_added_args(self.request, {column_qs: row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": expanded.get((column, row["value"]), row["value"]),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{self.type}": column})
                    ),
                    "results": values,
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out
