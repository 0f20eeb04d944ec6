"""Datasette's array facet (``_facet_array=topics``), counted without copying whole rows, and
pages filtered by a topic looked up in the topic table.

Datasette counts each row once per distinct array value by de-duplicating (value, every column of
the row) pairs: at 300,000 listings a region's topics facet copied 69,000 wide rows (descriptions
included) and took 1.4 s. Here a value is counted at its first position in the row's array,
which needs only the array column, so SQLite reads it from an index that holds it (the facet
indexes of migration 0015): about 50 ms for the same counts. Same results, same links; the
facet's suggestions and the ``__arraycontains`` filter stay Datasette's own.

Column facets (``CountedColumnFacet``) are counted together instead of one query each. On a
published snapshot (aggregator.snapshot.write_facet_counts), a page filtered only by counted columns
and at most one topic reads ``facet_counts`` or ``facet_topic_counts`` instead of the matching
listings, and a search alone is matched once for its count, facets and first rows
(``PublishedDatabase.search_tally``, with each listing's ``facet_cells`` cell and place in title
order held in memory). Elsewhere the page's rows are grouped once for every facet, except on a
page filtered by columns only with more than TOGETHER_MAX_ROWS rows, where each facet is counted
from its index. ``PublishedDatabase`` counts such a snapshot's filtered pages the same way
(bench/RESULTS.md has the figures).

``install()`` puts these in place of Datasette's column and array facets (once per process).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter, OrderedDict
from typing import Any, NamedTuple

import numpy as np

from datasette import hookimpl
from datasette.database import Database, QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.filters import FilterArguments, Filters
from datasette.plugins import pm
from datasette.tracer import trace
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from aggregator.snapshot import FACET_CELLS_TABLE, FACET_COUNT_COLUMNS, FACET_COUNTS_TABLE, TOPIC_COUNTS_TABLE

PLUGIN_NAME = "aggregator.facets"
FACETED_TABLE = "courses"

# Datasette's filter lookups that test a row's own value of the column, so that they select the
# same listings from counts per value as from the listings (not __arraycontains, which reads the
# table itself, nor unknown lookups, which Datasette ignores).
ROW_LOOKUPS = {"exact", "not", "contains", "endswith", "startswith", "gt", "gte", "lt", "lte", "like", "notlike",
               "glob", "in", "notin", "isnull", "notnull", "isblank", "notblank"}

# Facets of a page are counted in one query grouping by all of them, so that its rows are read
# once, not once per facet: a search matching 1,000 of 300,000 listings 4 x 8-11 ms -> 8-16 ms,
# one matching 50,000 4 x 90-120 ms -> 88-119 ms. A page filtered by columns only and with more
# than this many rows counts each facet alone from the facet indexes instead (a region of
# 24,000 rows: 54 ms either way).
TOGETHER_MAX_ROWS = 20_000


def array_facet_sql(sql: str, column: str, limit: int) -> str:
    """Each distinct value of ``column`` (a JSON array) in the rows of ``sql``, with how many
    rows hold it; a value twice in one array counts once (at its first position)."""
    col = escape_sqlite(column)
    return f"""
        select item.value as value, count(*) as count
        from ({sql}) as facet_rows
        join json_each(facet_rows.{col}) as item
        where item.key = (select min(first.key) from json_each(facet_rows.{col}) as first where first.value = item.value)
        group by item.value
        order by count(*) desc, item.value
        limit {limit}
    """


class IndexedArrayFacet(ArrayFacet):
    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        configs = self.get_configs()
        counts = await published_counts(self) if configs else None
        for source_and_config in configs:
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            # a topic's page needs which other topics its listings carry: not in the counts
            if column == "topics" and counts is not None and counts.topics and counts.table == FACET_COUNTS_TABLE:
                sql = (f"select topic as value, sum(listings) as count from [{TOPIC_COUNTS_TABLE}] {counts.where}"
                       f" group by topic order by count desc, value limit {size + 1}")
                params = counts.params
            else:
                sql, params = array_facet_sql(self.sql, column, size + 1), self.params
            try:
                rows = await self.ds.execute(
                    self.database, sql, params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                value = str(row["value"])
                arg = {f"{column}__arraycontains": value}
                selected = (f"{column}__arraycontains", value) in pairs
                toggle = path_with_removed_args(self.request, arg) if selected else path_with_added_args(self.request, arg)
                values.append({"value": value, "label": value, "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
            results.append({
                "name": column,
                "type": self.type,
                "results": values,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_array": column})),
                "truncated": len(rows) > size,
            })
        return results, timed_out


# A topic page looks its listings up in course_topics only when the topic tags fewer than this
# share of all listings. Measured at 300,000: a topic on 0.3 % of listings 87 ms (520 ms without),
# on 2.8 % 297 ms, on 3.6 % 365 ms, on 12 % 1,001 ms (visiting a tenth of the listings one by one
# costs more than reading every array, and the first rows are no longer read in title order).
TOPIC_LOOKUP_MAX_SHARE = 0.05
# On a snapshot with topic counts a one-topic page counts its facets and rows from the counts, so
# the lookup serves only its first rows, and walking the title index to the first tagged listings
# is faster down to about 1 % (300,000 listings, the first 21 rows: 1.1 % 26 -> 13 ms, 3.3 % 60 ->
# 4 ms; 0.26 % 6 ms with the lookup against 89 ms without).
TOPIC_LOOKUP_MAX_SHARE_COUNTED = 0.005
TOPIC_FILTER = "topics__arraycontains"


def topic_lookup_clause(i: int) -> str:
    return f"[id] in (select course_id from course_topics where topic = :topic_tagged_{i})"


@hookimpl
def filters_from_request(request, database, table, datasette):
    """A topic picked in the topics facet (``topics__arraycontains=X``) is also looked up in
    ``course_topics``, the same tags one per row (written with the listing), when the topic is
    rare (TOPIC_LOOKUP_MAX_SHARE; TOPIC_LOOKUP_MAX_SHARE_COUNTED on a snapshot page of one topic,
    whose count and facets come from the counts): SQLite then visits only the tagged listings
    instead of opening every listing's array, in the count, the rows and each facet. Datasette's
    own array filter still applies, so the results are the same."""
    values = request.args.getlist(TOPIC_FILTER)
    if table != FACETED_TABLE or not values:
        return None

    async def lookup():
        db = datasette.get_database(database)
        if not await db.table_exists("course_topics"):
            return None
        clauses, params = [], {}
        available = await _counts_available(db) if isinstance(db, PublishedDatabase) else None
        counted = len(values) == 1 and available is not None and available.topics
        max_share = TOPIC_LOOKUP_MAX_SHARE_COUNTED if counted else TOPIC_LOOKUP_MAX_SHARE
        for i, value in enumerate(values):
            # max(rowid): the number of listings, near enough and without counting them
            share = (await db.execute(
                "select (select count(*) from course_topics where topic = :topic) * 1.0"
                " / max(1, (select max(rowid) from courses))", {"topic": value})).first()[0]
            if share < max_share:
                clauses.append(topic_lookup_clause(i))
                params[f"topic_tagged_{i}"] = value
        return FilterArguments(clauses, params) if clauses else None

    return lookup


class PublishedCounts:
    """A page's filters as a query on the snapshot's counts: the counts ``table`` (per topic for
    a topic's page), its ``where`` clause and ``params``; the counted ``columns`` and whether
    topics are counted too (``topics``)."""

    def __init__(self, table: str, where: str, params: dict[str, Any], columns: frozenset[str], topics: bool) -> None:
        self.table, self.where, self.params, self.columns, self.topics = table, where, params, columns, topics


class CountsOnFile(NamedTuple):
    listings: int
    columns: frozenset[str]  # the counted columns
    topics: bool  # facet_topic_counts is there
    cells: bool  # facet_cells is there, one row per listing


def _file_key(path: str) -> tuple:
    """A database file as it is now (path, size, modification time): what is read from a
    snapshot once is kept under this key, so a new snapshot at the same path is read afresh."""
    stat = os.stat(path)
    return path, stat.st_size, stat.st_mtime_ns


# per database file (_file_key): what it has counted, or None when it has no counts that add up
# to its listings
_counts_of_file: dict[tuple, CountsOnFile | None] = {}


async def _counts_available(db) -> CountsOnFile | None:
    key = _file_key(db.path)
    if key not in _counts_of_file:
        available = None
        if await db.table_exists(FACET_COUNTS_TABLE):
            columns = frozenset(await db.table_columns(FACET_COUNTS_TABLE)) - {"cell", "listings"}
            # counts of another state of the listings would give wrong facets: use them only
            # when they add up to the listings there are
            counted, listings = (await db.execute(
                f"select (select sum(listings) from [{FACET_COUNTS_TABLE}]), (select count(*) from [{FACETED_TABLE}])")).first()
            if counted == listings:
                cells = await db.table_exists(FACET_CELLS_TABLE) and (await db.execute(
                    f"select count(*) from [{FACET_CELLS_TABLE}]")).first()[0] == listings
                available = CountsOnFile(listings, columns, await db.table_exists(TOPIC_COUNTS_TABLE), cells)
        _counts_of_file[key] = available
    return _counts_of_file[key]


async def _snapshot_counts(facet) -> CountsOnFile | None:
    """What the facet's database has counted, when the facet is on the listings of an
    immutable snapshot with counts; None otherwise."""
    if facet.table != FACETED_TABLE:
        return None
    db = facet.ds.get_database(facet.database)
    if db.is_mutable or db.path is None:
        return None
    return await _counts_available(db)


def column_filters(facet) -> list[tuple[str, str]] | None:
    """The page's filters, when the page is narrowed only by Datasette's column filters of the
    query string (``?region=...``, ``?topics__arraycontains=...``, with the topic lookup): no
    search, no ``_where``, no next page (Datasette counts a next page's facets from its cursor
    on). None otherwise."""
    args = facet.request.args
    # the filters Datasette builds from the query string (views/table.py), then the topic lookup
    pairs = [(key, value) for key in args if not (key.startswith("_") and "__" not in key) for value in args.getlist(key)]
    clauses, params = Filters(sorted(pairs)).build_where_clauses(facet.table)
    lookups = sorted((int(key.rsplit("_", 1)[1]), key) for key in facet.params if key.startswith("topic_tagged_"))
    for i, key in lookups:
        clauses.append(topic_lookup_clause(i))
        params[key] = facet.params[key]
    where = f"where {' and '.join(clauses)} " if clauses else ""
    if not facet.sql.endswith(f"from {escape_sqlite(facet.table)} {where}") or dict(facet.params) != params:
        return None
    return pairs


async def published_counts(facet) -> PublishedCounts | None:
    """The page's filters as a query on the published counts, when the page is a listings page
    of an immutable snapshot with counts, narrowed only by filters on counted columns and at
    most one topic (column_filters). None when the facets must be counted from the listings."""
    available = await _snapshot_counts(facet)
    if available is None:
        return None
    pairs = column_filters(facet)
    if pairs is None:
        return None
    columns, topics_counted = available.columns, available.topics
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
    where = f"where {' and '.join(clauses)} " if clauses else ""
    return PublishedCounts(table, where, params, columns, topics_counted)


# A listings page's count as Datasette writes it, and the filter clauses it writes for a value
# picked in a facet (views/table.py, filters.py)
PAGE_COUNT_SQL = re.compile(r'select count\(\*\) from "?courses"? where (?P<where>.+) ')
EXACT_CLAUSE = re.compile(r'"(?P<column>\w+)" = :p\d+')
TOPIC_CLAUSE = re.compile(r':(?P<param>p\d+) in \(select value from json_each\("courses"\."topics"\)\)')
# Datasette's clause for ?_search= on the courses table (filters.py, search_filters)
SEARCH_CLAUSE = re.compile(r"rowid in \(select rowid from courses_fts where courses_fts match (?P<match>escape_fts\(:search\)|:search)\)")
TOPIC_LOOKUP_CLAUSE = re.compile(r"\[id\] in \(select course_id from course_topics where topic = :topic_tagged_\d+\)")


# A search's first page in the table's order (views/table.py: the rows of ?_search=)
SEARCH_ROWS_SQL = re.compile(rf"select (?P<columns>.+) from courses where (?P<where>{SEARCH_CLAUSE.pattern}) order by title limit (?P<limit>\d+)")


def _integers(listed: str | None) -> np.ndarray:
    """The integers of SQLite's ``group_concat`` of integers (None: no rows)."""
    return np.fromstring(listed, dtype=np.int64, sep=",") if listed else np.zeros(0, dtype=np.int64)


class SearchTally(NamedTuple):
    """A search's listings on a snapshot: how many, how many in each facet cell, and the rowids
    of the first of them in the table's order (title, then rowid); no cells and no first rows
    on a snapshot without facet cells."""
    matches: int
    cells: dict[int, int]
    first: list[int] | None


class ListingOrder(NamedTuple):
    """Per listing, by rowid: its facet cell, and its place in the table's order."""
    file: tuple  # the snapshot read (_file_key)
    cell: np.ndarray
    title_rank: np.ndarray


class PublishedDatabase(Database):
    """An immutable snapshot whose listings pages are counted from its counts: a page filtered
    by values picked in the facets (counted columns, at most one topic) sums a few rows of
    ``facet_counts`` instead of counting every matching listing (all of a country's: 24 ms;
    a topic's by opening every listing's topics: 100 ms). A search is matched in the full-text
    index once, for its count, its facets and its first rows (``search_tally``). Every other
    query runs as it is."""

    # how many of a search's first rows a tally keeps; None: Datasette's largest page and one
    # more (to tell whether there is a next page)
    first_rows: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tallies: OrderedDict[tuple, SearchTally] = OrderedDict()  # recent searches'
        self._order: ListingOrder | None = None

    async def execute(self, sql, params=None, *args, **kwargs):
        if isinstance(params, dict):
            sql = await self._count_from_counts(sql, params) or await self._search_rows(sql, params) or sql
        return await super().execute(sql, params, *args, **kwargs)

    async def search_tally(self, match: str, search: str) -> SearchTally:
        """The listings the full-text match finds, from one pass over the index (it holds
        exactly one entry per listing: its triggers keep it so): their number, their number per
        facet cell and their first rows in title order, with each listing's cell and place in
        that order held in memory. A page asks three times (its count, its facets, its rows):
        the tally is kept per search. For 50,000 matches: 12-25 ms, where counting them took
        11 ms, grouping their cells 34 ms and finding their first rows 16 ms."""
        key = (match, search)
        if key not in self._tallies:
            available = await _counts_available(self)
            with_cells = available is not None and available.cells
            sql = f"select rowid from courses_fts where courses_fts match {match}"
            first_rows = self.first_rows or self.ds.setting("max_returned_rows") + 1
            with trace("sql", database=self.name, sql=f"{sql} -- tallied per facet cell" if with_cells else sql, params={"search": search}):
                self._tallies[key] = await self.execute_fn(lambda conn: self._tally(conn, match, search, with_cells, first_rows))
            if len(self._tallies) > 1000:
                self._tallies.popitem(last=False)
        self._tallies.move_to_end(key)
        return self._tallies[key]

    async def prepare_search_tallies(self) -> None:
        """Read the listings' cells and order now (at startup) rather than in a visitor's first
        search."""
        available = await _counts_available(self)
        if available is not None and available.cells:
            await self.execute_fn(self._listing_order)

    def _tally(self, conn, match: str, search: str, with_cells: bool, first_rows: int) -> SearchTally:
        if not with_cells:  # a snapshot without facet_cells: its count only
            found = conn.execute(f"select count(*) from courses_fts where courses_fts match {match}", {"search": search})
            return SearchTally(found.fetchone()[0], {}, None)
        order = self._listing_order(conn)
        # the rowids as one string, parsed at once: 50,000 rows fetched one by one cost 10-15 ms more
        found = conn.execute(f"select group_concat(rowid) from courses_fts where courses_fts match {match}", {"search": search})
        rowids = _integers(found.fetchone()[0])
        per_cell = np.bincount(order.cell[rowids])
        cells = np.flatnonzero(per_cell)
        ranks = order.title_rank[rowids]
        if len(rowids) > first_rows:
            nearest = np.argpartition(ranks, first_rows - 1)[:first_rows]
            rowids, ranks = rowids[nearest], ranks[nearest]
        first = rowids[np.argsort(ranks)].tolist()
        return SearchTally(int(per_cell.sum()), dict(zip(cells.tolist(), per_cell[cells].tolist())), first)

    def _listing_order(self, conn) -> ListingOrder:
        """Each listing's facet cell and place in title order, by rowid (read once per snapshot
        file: for 300,000 listings 4.8 MB, read in about 120 ms)."""
        file = _file_key(self.path)
        if self._order is None or self._order.file != file:
            pairs = _integers(conn.execute(f"select group_concat(course || ',' || cell) from [{FACET_CELLS_TABLE}]").fetchone()[0]).reshape(-1, 2)
            size = int(pairs[:, 0].max(initial=0)) + 1
            cell = np.zeros(size, dtype=np.int64)
            cell[pairs[:, 0]] = pairs[:, 1]
            # the table's order: by title, equal titles by rowid (as the title index holds them)
            in_order = _integers(conn.execute("select group_concat(rowid) from (select rowid from courses order by title, rowid)").fetchone()[0])
            title_rank = np.zeros(size, dtype=np.int64)
            title_rank[in_order] = np.arange(len(in_order))
            self._order = ListingOrder(file, cell, title_rank)
        return self._order

    async def _search_rows(self, sql: str, params: dict) -> str | None:
        """A search's first page: its first listings in title order, looked up by rowid, instead
        of matching again and sorting every match (50,000 matches: 52 ms) or walking the title
        index to the first matches (16 ms)."""
        rows = SEARCH_ROWS_SQL.fullmatch(sql)
        if rows is None or set(params) != {"search"} or await _counts_available(self) is None:
            return None
        tally = await self.search_tally(rows["match"], params["search"])
        limit = int(rows["limit"])
        if tally.first is None or (limit > len(tally.first) and tally.matches > len(tally.first)):
            return None  # no listing order, or a page larger than the rows kept
        ids = ", ".join(map(str, tally.first[:limit]))
        return f"select {rows['columns']} from courses where rowid in ({ids}) order by title, rowid limit {limit}"

    async def _count_from_counts(self, sql: str, params: dict) -> str | None:
        match = PAGE_COUNT_SQL.fullmatch(sql)
        if match is None:
            return None
        available = await _counts_available(self)
        if available is None:
            return None
        search = SEARCH_CLAUSE.fullmatch(match["where"])
        if search:
            if set(params) != {"search"}:
                return None
            return f"select {int((await self.search_tally(search['match'], params['search'])).matches)}"
        columns, topics_counted = available.columns, available.topics
        kept, topics = [], []
        for clause in match["where"].split(" and "):
            exact, topic = EXACT_CLAUSE.fullmatch(clause), TOPIC_CLAUSE.fullmatch(clause)
            if exact and exact["column"] in columns:
                kept.append(clause)
            elif topic:
                topics.append(topic["param"])
            elif not TOPIC_LOOKUP_CLAUSE.fullmatch(clause):  # the same listings as the topic's
                return None
        table = FACET_COUNTS_TABLE
        if topics:
            if len(topics) > 1 or not topics_counted:
                return None
            table = TOPIC_COUNTS_TABLE
            kept.append(f"topic = :{topics[0]}")
        return f"select coalesce(sum(listings), 0) from [{table}] where {' and '.join(kept)}"


def _sqlite_order(value: Any) -> tuple:
    """SQLite's order of values: numbers, then text (by code point, as BINARY), then blobs."""
    rank = 1 if isinstance(value, (int, float)) else 2 if isinstance(value, str) else 3
    return rank, value


def _tallied(columns: list[str], rows, limit: int) -> dict[str, list[dict[str, Any]]]:
    """Each column's facet values from rows of (value of each column..., listings), most
    listings first, then in SQLite's order of the values, as Datasette's facet query orders."""
    tallies = {column: Counter() for column in columns}
    for row in rows:
        n = row[len(columns)]
        for i, column in enumerate(columns):
            if row[i] is not None:
                tallies[column][row[i]] += n
    return {
        column: [{"value": value, "count": n} for value, n in
                 sorted(tally.items(), key=lambda item: (-item[1], _sqlite_order(item[0])))[:limit]]
        for column, tally in tallies.items()
    }


class SearchOnly(NamedTuple):
    match: str  # the full-text match expression Datasette wrote
    columns: frozenset[str]  # the snapshot's counted columns


class CountedColumnFacet(ColumnFacet):
    """Datasette's column facet, its facets counted together when that reads fewer rows."""

    async def _counted_together(self, columns: list[str], limit: int) -> dict[str, list[dict[str, Any]]]:
        counts = await published_counts(self)
        if counts is not None:
            together = [c for c in dict.fromkeys(columns) if c in counts.columns]
            source, count, params = f"[{counts.table}] {counts.where}", "sum(listings)", counts.params
        elif (search := await self._search_only()) is not None:
            # the search's listings per cell, then the cells' values
            db = self.ds.get_database(self.database)
            together = [c for c in dict.fromkeys(columns) if c in FACET_COUNT_COLUMNS and c in search.columns]
            if not together:
                return {}
            tally = await db.search_tally(search.match, self.params["search"])
            cells = await db.execute(f"select cell, {', '.join(escape_sqlite(c) for c in together)} from [{FACET_COUNTS_TABLE}]",
                                     truncate=False)
            return _tallied(together, [(*row[1:], tally.cells[row[0]]) for row in cells.rows if row[0] in tally.cells], limit)
        elif self.table == FACETED_TABLE and not self._counted_from_indexes():
            together = [c for c in dict.fromkeys(columns) if c in FACET_COUNT_COLUMNS]
            source, count, params = f"({self.sql})", "count(*)", self.params
            if len(together) < 2:
                return {}
        else:
            return {}
        if not together:
            return {}
        grouped = ", ".join(escape_sqlite(c) for c in together)
        try:
            rows = await self.ds.execute(
                self.database, f"select {grouped}, {count} from {source} group by {grouped}", params,
                truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:
            return {}  # each facet is tried alone instead
        return _tallied(together, rows.rows, limit)

    async def _search_only(self) -> SearchOnly | None:
        """The full-text match of a page narrowed by ``?_search=`` alone, on a published
        snapshot with its facet cells; None otherwise."""
        if set(self.params) != {"search"}:
            return None
        match = SEARCH_CLAUSE.fullmatch(self.sql.rpartition(" from courses where ")[2].strip())
        if match is None:
            return None
        if not isinstance(self.ds.get_database(self.database), PublishedDatabase):
            return None
        available = await _snapshot_counts(self)
        return SearchOnly(match["match"], available.columns) if available is not None and available.cells else None

    def _counted_from_indexes(self) -> bool:
        """Whether each facet is better counted alone: a page narrowed by column filters only
        counts each facet from a facet index (migration 0015); on more than TOGETHER_MAX_ROWS
        rows that is faster than one grouping that reads the rows. A search, a topic or a
        ``_where`` must read the rows anyway, so they are read once."""
        pairs = column_filters(self)
        return (pairs is not None and not any(key.endswith("__arraycontains") for key, _ in pairs)
                and (self.row_count is None or self.row_count > TOGETHER_MAX_ROWS))

    async def _counted_alone(self, column: str, limit: int) -> list:
        """Datasette's own query for one column facet."""
        col = escape_sqlite(column)
        sql = f"select {col} as value, count(*) as count from ({self.sql}) where {col} is not null group by {col} order by count desc, value limit {limit}"
        result = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                       custom_time_limit=self.ds.setting("facet_time_limit_ms"))
        return result.rows

    async def facet_results(self):
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        configs = self.get_configs()
        columns = [c["config"].get("column") or c["config"]["simple"] for c in configs]
        together = await self._counted_together(columns, size + 1)
        for source_and_config, column in zip(configs, columns):
            try:
                rows = together[column] if column in together else await self._counted_alone(column, size + 1)
            except QueryInterrupted:
                timed_out.append(column)
                continue
            shown = rows[:size]
            # foreign keys shown by their labels, as Datasette does
            expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, [r["value"] for r in shown]) if self.table else {}
            values = []
            for row in shown:
                column_qs = f"{column}__exact" if column.startswith("_") else column
                selected = (column_qs, str(row["value"])) in pairs
                if selected:
                    toggle = path_with_removed_args(self.request, {column_qs: str(row["value"])})
                else:
                    toggle = path_with_added_args(self.request, {column_qs: row["value"]})
                values.append({"value": row["value"], "label": expanded.get((column, row["value"]), row["value"]),
                               "count": row["count"], "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                               "selected": selected})
            results.append({
                "name": column,
                "type": self.type,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                "results": values,
                "truncated": len(rows) > size,
            })
        return results, timed_out


@hookimpl
def startup(datasette):
    async def prepare():
        for db in datasette.databases.values():
            if isinstance(db, PublishedDatabase):
                await db.prepare_search_tallies()

    return prepare


@hookimpl
def register_facet_classes():
    return [CountedColumnFacet, DateFacet, IndexedArrayFacet]


def install() -> None:
    """Datasette's facet classes with CountedColumnFacet and IndexedArrayFacet for its column and
    array facets, and the topic lookup, for every Datasette of this process (idempotent)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        if pm.get_plugin("datasette.facets") is not None:
            pm.unregister(name="datasette.facets")
        pm.register(sys.modules[__name__], PLUGIN_NAME)
