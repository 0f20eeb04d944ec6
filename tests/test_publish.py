"""Publishing: the snapshot the nightly job hands to Datasette, the server's worker processes and
response cache, and the indexes that let the default facets count filtered pages."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
import sqlite3
import urllib.error
import urllib.request

import pytest
import sqlite_utils
import yaml

from store.db import DEFAULT_FACETS, open_db
from aggregator.snapshot import snapshot
from aggregator.facets import array_facet_sql
from aggregator.publish import METADATA, served
from aggregator.webcache import ResponseCache
from tests.conftest import FIXTURES, datasette_get, run_cli

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"


class Page:
    """An ASGI app answering with a body per path and counting the times it was asked."""

    def __init__(self, status: int = 200, headers: list | None = None, chunks: int = 1, size: int = 40) -> None:
        self.status, self.headers, self.chunks, self.size = status, headers or [], chunks, size
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"content-type", b"text/html"), *self.headers]})
        for i in range(self.chunks):
            body = (scope["path"] + str(self.calls)).encode().ljust(self.size, b".")
            await send({"type": "http.response.body", "body": body, "more_body": i < self.chunks - 1})


def get(app, path: str = "/aggregator/courses", query: bytes = b"", headers: list | None = None, method: str = "GET"):
    messages = []

    async def send(message):
        messages.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": [(b"host", b"example.org"), *(headers or [])]}
    asyncio.run(app(scope, receive, send))
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


def test_cache_answers_a_repeated_page_once_computed_and_keeps_urls_apart():
    page = Page()
    cache = ResponseCache(page)
    first = get(cache)
    assert get(cache) == first and page.calls == 1
    assert get(cache, query=b"country=FI") != first and page.calls == 2
    assert get(cache, path="/aggregator/providers")[1].startswith(b"/aggregator/providers") and page.calls == 3
    assert (cache.hits, cache.misses) == (1, 3)


def test_visitors_asking_for_a_page_being_computed_wait_for_it():
    class SlowPage(Page):
        async def __call__(self, scope, receive, send):
            await asyncio.sleep(0.05)
            await super().__call__(scope, receive, send)

    page = SlowPage()
    cache = ResponseCache(page)
    sent: list[list] = [[], [], []]

    def request(i):
        async def send(message):
            sent[i].append(message)

        scope = {"type": "http", "method": "GET", "path": "/aggregator/courses", "query_string": b"", "headers": []}
        return cache(scope, None, send)

    async def three_at_once():
        await asyncio.gather(*(request(i) for i in range(3)))

    asyncio.run(three_at_once())
    assert page.calls == 1 and (cache.hits, cache.misses) == (2, 1)
    assert sent[0][-1]["body"] == sent[1][-1]["body"] == sent[2][-1]["body"]


@pytest.mark.parametrize(
    "page, request_headers, query",
    [
        (Page(status=404), [], b""),
        (Page(headers=[(b"set-cookie", b"ds_actor=x")]), [], b""),
        (Page(headers=[(b"cache-control", b"private, no-store")]), [], b""),
        (Page(), [(b"cookie", b"ds_actor=someone")], b""),
        (Page(), [], b"_trace=1"),
        (Page(chunks=5, size=1000), [], b"_stream=on"),  # 5,000 bytes, over the entry limit below
    ],
    ids=["not-200", "sets-cookie", "no-store", "visitor-with-cookie", "trace", "too-large-stream"],
)
def test_cache_never_keeps_personal_failed_traced_or_large_responses(page, request_headers, query):
    cache = ResponseCache(page, max_entry_bytes=4000)
    first = get(cache, query=query, headers=request_headers)
    second = get(cache, query=query, headers=request_headers)
    assert page.calls == 2 and first != second
    assert len(second[1]) == page.chunks * page.size  # the response itself went through whole


def test_cache_evicts_least_recently_used_beyond_its_size_and_expires_entries():
    now = [0.0]
    page = Page(size=100)
    cache = ResponseCache(page, max_bytes=250, ttl=60, clock=lambda: now[0])
    for path in ("/a", "/b", "/a", "/c"):  # /a used again, so /b is the oldest when /c arrives
        get(cache, path)
    assert page.calls == 3 and cache.size <= 250
    get(cache, "/a")
    get(cache, "/c")
    assert page.calls == 3
    get(cache, "/b")
    assert page.calls == 4
    now[0] = 61.0
    get(cache, "/c")
    assert page.calls == 5


def test_snapshot_is_a_consistent_immutable_copy_replaced_atomically(db_path, tmp_path):
    db = open_db(db_path)
    db["sources"].insert({"name": "first"}, alter=True)
    target = tmp_path / "published" / "aggregator.db"
    snapshot(db_path, target)
    reader = sqlite3.connect(f"file:{target}?immutable=1", uri=True)
    assert reader.execute("pragma journal_mode").fetchone()[0] == "delete"
    names = lambda conn: {r[0] for r in conn.execute("select name from sources")}  # noqa: E731
    assert "first" in names(reader)
    db["sources"].insert({"name": "second"}, alter=True)
    snapshot(db_path, target)
    # the reader holds the old file: still consistent, still the old rows
    assert "second" not in names(reader)
    assert "second" in names(sqlite3.connect(f"file:{target}?immutable=1", uri=True))
    assert sorted(p.name for p in target.parent.iterdir()) == ["aggregator.db"]


def test_default_facets_of_the_metadata_have_covering_indexes_for_filtered_pages(db_path):
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    assert tuple(metadata["databases"]["aggregator"]["tables"]["courses"]["facets"]) == DEFAULT_FACETS
    db = open_db(db_path)
    for filtered in DEFAULT_FACETS:
        for facet in DEFAULT_FACETS:
            # the shape of Datasette's facet query on a filtered table page
            sql = (f"select {facet} as value, count(*) as count from (select * from courses where {filtered} = :v) "
                   f"where {facet} is not null group by {facet} order by count desc, value limit 31")
            plan = " ".join(row[3] for row in db.execute(f"explain query plan {sql}", {"v": "x"}))
            assert "COVERING INDEX" in plan, (filtered, facet, plan)
        # the topics facet, and the page's first rows in the table's sort order, from the index too
        topics = array_facet_sql(f"select * from courses where {filtered} = :v", "topics", 31)
        assert "COVERING INDEX" in " ".join(row[3] for row in db.execute(f"explain query plan {topics}", {"v": "x"}))
        rows = f"select * from courses where {filtered} = :v order by {metadata['databases']['aggregator']['tables']['courses']['sort']} limit 51"
        plan = " ".join(row[3] for row in db.execute(f"explain query plan {rows}", {"v": "x"}))
        assert "TEMP B-TREE" not in plan and f"idx_courses_facets_{filtered}" in plan, plan


ARRAYS = [["a", "b"], ["b", "b", "c"], [], None, ["c"], ["a", "c", "a"]]


def test_array_facet_counts_each_listing_once_per_value(tmp_path):
    db = sqlite_utils.Database(tmp_path / "arrays.db")
    db["t"].insert_all([{"id": i, "tags": None if a is None else json.dumps(a), "wide": "x" * 5000} for i, a in enumerate(ARRAYS)], pk="id")
    expected = Counter(value for a in ARRAYS if a for value in set(a))
    counted = [tuple(row) for row in db.execute(array_facet_sql("select * from t", "tags", 10))]
    assert counted == sorted(expected.items(), key=lambda item: (-item[1], item[0]))  # most listings first
    assert len(list(db.execute(array_facet_sql("select * from t", "tags", 2)))) == 2


def test_array_facet_on_datasette_pages_counts_and_links_like_datasettes_own(tmp_path):
    path = str(tmp_path / "arrays.db")
    sqlite_utils.Database(path)["t"].insert_all([{"id": i, "tags": None if a is None else json.dumps(a)} for i, a in enumerate(ARRAYS)], pk="id")
    facet = datasette_get(path, "/arrays/t.json?_facet_array=tags").json()["facet_results"]["tags"]
    assert {r["value"]: r["count"] for r in facet["results"]} == {"a": 2, "b": 2, "c": 3}
    assert facet["type"] == "array" and not any(r["selected"] for r in facet["results"])
    assert "tags__arraycontains=c" in next(r["toggle_url"] for r in facet["results"] if r["value"] == "c")
    page = datasette_get(path, "/arrays/t.json?_facet_array=tags&tags__arraycontains=a&_shape=objects").json()
    assert sorted(r["id"] for r in page["rows"]) == [0, 5]
    results = page["facet_results"]["tags"]["results"]
    assert {r["value"]: r["count"] for r in results} == {"a": 2, "b": 1, "c": 1}
    assert [r["value"] for r in results if r["selected"]] == ["a"]


def test_serve_publishes_a_snapshot_with_two_workers(db_path, tmp_path):
    run_cli("--db", db_path, "crawl", "opintopolku_fi", "--replay", str(FOUR))
    published = tmp_path / "published" / "aggregator.db"
    run_cli("--db", db_path, "snapshot", str(published))
    with served(str(published), workers=2, immutable=True, cache_mb=16) as base:
        pages = [urllib.request.urlopen(base + "/aggregator/courses.json?_shape=array&_col=title", timeout=10).read() for _ in range(4)]
        assert len(set(pages)) == 1
        titles = sorted(row["title"] for row in sqlite_utils.Database(published)["courses"].rows)
        assert sorted(row["title"] for row in json.loads(pages[0])) == titles and len(titles) == 4
        html = urllib.request.urlopen(base + "/aggregator/courses", timeout=10).read().decode()
        assert "/assets/aggregator.css" in html and "Akkutekniikan muuntokoulutus" in html


def test_a_topic_picked_in_the_facet_lists_exactly_its_listings_rare_ones_through_the_topic_table(db_path, tmp_path):
    from store.db import CourseStore
    from aggregator.facets import TOPIC_LOOKUP_MAX_SHARE
    from store.runs import register_source, start_run
    from tests.test_db import course

    # batteries on 1 listing of 40 (rare: looked up in course_topics), hydrogen on half of them
    tagged = {str(n): (["batteries_energy_storage"] if n == 7 else []) + (["hydrogen"] if n % 2 else []) for n in range(40)}
    assert 1 / 40 < TOPIC_LOOKUP_MAX_SHARE < 20 / 40
    db = open_db(db_path)
    register_source(db, {"name": "susanavet_se"})
    items = [course(n, topics=[{"topic": t, "terms": [t], "fields": ["title"]} for t in topics]) for n, topics in tagged.items()]
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(items)
    db.close()
    for topic, looked_up in (("batteries_energy_storage", True), ("hydrogen", False)):
        page = datasette_get(db_path, f"/aggregator/courses.json?topics__arraycontains={topic}&_shape=objects&_size=max&_facet_array=topics").json()
        assert sorted(r["source_id"] for r in page["rows"]) == sorted(n for n, topics in tagged.items() if topic in topics)
        assert ("course_topics" in page["query"]["sql"]) == looked_up
        counts = {r["value"]: r["count"] for r in page["facet_results"]["topics"]["results"]}
        assert counts[topic] == len(page["rows"])
    both = datasette_get(db_path, "/aggregator/courses.json?topics__arraycontains=hydrogen&topics__arraycontains=batteries_energy_storage&_shape=objects").json()
    assert [r["source_id"] for r in both["rows"]] == ["7"]
    # without a topic table (a database of an older schema) Datasette's array filter works alone
    other = str(tmp_path / "other.db")
    old = open_db(other)
    old["course_topics"].drop()
    old["courses"].insert_all([{"id": str(i), "source": "s", "source_id": str(i), "title": str(i), "topics": json.dumps(a)}
                               for i, a in enumerate(ARRAYS) if a is not None])
    old.close()
    rows = datasette_get(other, "/other/courses.json?topics__arraycontains=c&_shape=objects").json()["rows"]
    assert sorted(r["id"] for r in rows) == ["1", "4", "5"]


@pytest.mark.parametrize("counted_max_share", [0.005, 0.05])
def test_on_a_snapshot_a_topic_is_looked_up_in_the_topic_table_only_when_rarer_still(db_path, tmp_path, monkeypatch, counted_max_share):
    from aggregator import facets

    rows = faceted_listings(db_path)  # recycling on 2 of 60 listings (3.3 %), hydrogen on 20
    published = str(tmp_path / "aggregator.db")
    snapshot(db_path, published)
    monkeypatch.setattr(facets, "TOPIC_LOOKUP_MAX_SHARE_COUNTED", counted_max_share)
    paths = ["/aggregator/courses.json?topics__arraycontains=recycling_circular&_size=max",
             "/aggregator/courses.json?topics__arraycontains=recycling_circular&topics__arraycontains=hydrogen&_size=max"]
    pages = facet_pages(published, paths, immutable=True)
    live = facet_pages(db_path, paths, immutable=False)
    # one topic: its count and facets come from the counts, and its rows are looked up only when
    # the topic is rarer than the snapshot's limit; two topics: the 5 % rule, as on a live database
    for (page, sql), (live_page, live_sql), looked_up in zip(pages, live, (counted_max_share > 2 / 60, True)):
        assert ("[id] in (select course_id from course_topics" in page["query"]["sql"]) == looked_up
        assert "[id] in (select course_id from course_topics" in live_page["query"]["sql"]
        assert page["rows"] == live_page["rows"] and page["facet_results"] == live_page["facet_results"]
    assert sorted(r[0] for r in pages[0][0]["rows"]) == sorted(r["id"] for r in rows if "recycling" in (r["topics"] or ""))


# listings over a few counted columns, values repeated unevenly so that facet orders matter
PLACES = [("Västerbottens län", "Skellefteå"), ("Västerbottens län", "Umeå"), ("Norrbottens län", "Luleå"), (None, None)]
TYPES = ["higher_vocational", "university_course", "vocational_module"]


def faceted_listings(db_path: str, n: int = 60) -> list[dict]:
    from store.db import CourseStore
    from store.runs import register_source, start_run
    from tests.test_db import course

    items = []
    for i in range(n):
        region, municipality = PLACES[(0, 0, 1, 2, 0, 3, 1)[i % 7]]
        # hydrogen and batteries common (Datasette's array filter), recycling rare (the topic lookup)
        topics = ["hydrogen"] * (i % 3 == 0) + ["batteries_energy_storage"] * (i % 4 == 1) + ["recycling_circular"] * (i in (7, 8))
        items.append(course(str(i), title=f"{'Batteri' if i % 5 == 0 else 'Svets'}kurs {i}", region=region, municipality=municipality,
                            education_type=TYPES[i % 7 % 3], eqf_level=[4, 5, 5, 6, None][i % 5],
                            topics=[{"topic": t, "terms": [t], "fields": ["title"]} for t in topics]))
    db = open_db(db_path)
    register_source(db, {"name": "susanavet_se"})
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(items)
    rows = list(db["courses"].rows)
    db.close()
    return rows


def facet_pages(db_path: str, paths: list[str], *, immutable: bool) -> list[tuple[dict, list[str]]]:
    """Each page's JSON and the SQL it ran, in-process."""
    from datasette.tracer import capture_traces

    from aggregator.publish import build_datasette

    async def fetch():
        ds = build_datasette(db_path, immutable=immutable)
        await ds.invoke_startup()
        pages = []
        for path in paths:
            traces = []
            with capture_traces(traces):
                response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            pages.append((response.json(), [t["sql"] for t in traces]))
        return pages

    return asyncio.run(fetch())


def expected_facet(rows: list[dict], column: str) -> list[tuple]:
    """Datasette's column facet computed from the rows: non-null values, most rows first, then
    by value."""
    counts = Counter(row[column] for row in rows if row[column] is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], isinstance(item[0], str), item[0]))


def counted_from_counts(sql: str, table: str = "facet_counts") -> bool:
    return f"from [{table}] " in sql and "group by" in sql


def facet_values(page: dict, name: str) -> list[tuple]:
    return [(r["value"], r["count"]) for r in page["facet_results"][name]["results"]]


FILTERED = {
    "": lambda r: True,
    "region=V%C3%A4sterbottens+l%C3%A4n": lambda r: r["region"] == "Västerbottens län",
    "eqf_level=5&education_type__not=vocational_module": lambda r: r["eqf_level"] == 5 and r["education_type"] != "vocational_module",
    "region__isnull=1": lambda r: r["region"] is None,
    "municipality=Lule%C3%A5&_page=3": lambda r: r["municipality"] == "Luleå",
    "topics__arraycontains=hydrogen&eqf_level=5": lambda r: "hydrogen" in (r["topics"] or "") and r["eqf_level"] == 5,
    "topics__arraycontains=recycling_circular": lambda r: "recycling_circular" in (r["topics"] or ""),
}


@pytest.mark.parametrize("query", list(FILTERED))
def test_a_published_snapshot_counts_facets_of_pages_filtered_by_counted_columns_from_its_counts(db_path, tmp_path, query):
    rows = faceted_listings(db_path)
    published = str(tmp_path / "aggregator.db")
    snapshot(db_path, published)
    path = f"/aggregator/courses.json?{query}&_facet=municipality&_facet_array=topics&_size=max"
    (page, sql), = facet_pages(published, [path], immutable=True)
    selected = [r for r in rows if FILTERED[query](r)]
    assert 0 < page["filtered_table_rows_count"] == len(selected) == len(page["rows"])
    for column in (*DEFAULT_FACETS, "municipality"):
        assert facet_values(page, column) == expected_facet(selected, column)
    topics = Counter(topic for r in selected for topic in set(json.loads(r["topics"] or "[]")))
    assert dict(facet_values(page, "topics")) == dict(topics)
    # counted from the counts, not from the listings (which other topics a topic's listings carry
    # is not in the counts)
    topic_page = "topics__arraycontains" in query
    assert any(counted_from_counts(s, "facet_topic_counts") for s in sql)
    assert any(counted_from_counts(s) for s in sql) != topic_page
    assert any("json_each(facet_rows" in s for s in sql) == topic_page
    assert not any("count(*) as count from (" in s for s in sql)
    # the topic lookup only for a topic on fewer than 0.5 % of listings: none is here
    assert not any("[id] in (select course_id from course_topics" in s for s in sql)
    # the page's count too, when it is filtered by values picked in the facets (col=value, a topic)
    picked = query.startswith(("region=", "municipality=", "topics__"))
    assert any(s.startswith("select count(*) from courses") for s in sql) != picked
    assert any(s.startswith("select coalesce(sum(listings), 0)") for s in sql) == picked
    # the same page of the live database (Datasette's queries on the listings) is the same page
    (live, _), = facet_pages(db_path, [path], immutable=False)
    assert live["facet_results"] == page["facet_results"]


def test_facets_of_a_search_or_any_other_filter_are_counted_from_the_matching_listings(db_path, tmp_path):
    rows = faceted_listings(db_path)
    published = str(tmp_path / "aggregator.db")
    snapshot(db_path, published)
    paths = ["/aggregator/courses.json?_search=batteri&_size=max&_facet_size=2",
             "/aggregator/courses.json?_where=eqf_level>4&region=Norrbottens+l%C3%A4n&_size=max",
             "/aggregator/courses.json?topics__arraycontains=hydrogen&topics__arraycontains=batteries_energy_storage&_size=max"]
    matching = [lambda r: r["title"].startswith("Batteri"), lambda r: (r["eqf_level"] or 0) > 4 and r["region"] == "Norrbottens län",
                lambda r: "hydrogen" in (r["topics"] or "") and "batteries" in (r["topics"] or "")]
    pages = zip(facet_pages(published, paths, immutable=True), facet_pages(db_path, paths, immutable=False), matching, (2, 30, 30))
    for (page, sql), (live, _), matches, size in pages:
        selected = [r for r in rows if matches(r)]
        assert 0 < len(selected) == len(page["rows"])
        for column in DEFAULT_FACETS:
            expected = expected_facet(selected, column)
            assert facet_values(page, column) == expected[:size]
            assert page["facet_results"][column]["truncated"] == (len(expected) > size)
        assert not any(counted_from_counts(s) for s in sql)
        assert live["facet_results"] == page["facet_results"]
        assert page["filtered_table_rows_count"] == live["filtered_table_rows_count"] == len(selected)
        # a search alone: its count and its facets from one pass over the full-text index, each
        # listing's cell from facet_cells
        search_only = "_search=" in page["query"]["sql"] or page["query"]["params"].keys() == {"search"}
        tallied = [s for s in sql if s.startswith("select rowid from courses_fts where") and s.endswith("tallied per facet cell")]
        assert len(tallied) == search_only
        assert any(s.startswith("select cell, ") and s.endswith("from [facet_counts]") for s in sql) == search_only
        assert not any(s.startswith("select count(*) from courses") for s in sql) == search_only


def test_counts_that_do_not_add_up_to_the_listings_are_not_used(db_path, tmp_path):
    rows = faceted_listings(db_path)
    published = tmp_path / "aggregator.db"
    snapshot(db_path, published)
    stale = sqlite3.connect(published)
    with stale:
        stale.execute("delete from courses where region = 'Norrbottens län'")
    stale.close()
    (page, sql), = facet_pages(str(published), ["/aggregator/courses.json?_size=max"], immutable=True)
    remaining = [r for r in rows if r["region"] != "Norrbottens län"]
    assert facet_values(page, "region") == expected_facet(remaining, "region")
    assert not any(counted_from_counts(s) for s in sql)


def test_a_published_snapshot_is_read_memory_mapped_and_a_live_database_is_not(db_path, tmp_path):
    from aggregator.publish import build_datasette

    faceted_listings(db_path, n=5)
    published = str(tmp_path / "aggregator.db")
    snapshot(db_path, published)

    async def mmap_size(path, immutable):
        ds = build_datasette(path, immutable=immutable)
        await ds.invoke_startup()
        return (await ds.get_database("aggregator").execute("pragma mmap_size")).first()[0]

    assert asyncio.run(mmap_size(published, True)) > 2**20
    assert asyncio.run(mmap_size(db_path, False)) == 0


def test_the_courses_page_shows_its_main_columns_with_a_link_to_all_and_json_keeps_every_column(db_path):
    faceted_listings(db_path, n=5)
    browse = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["aggregator"]["tables"]["courses"]["browse_columns"]
    every = list(open_db(db_path)["courses"].columns_dict)

    def shown(path):
        html = datasette_get(db_path, path).text
        cells = re.findall(r'<td class="col-([\w-]+) ', html)
        return re.findall(r'<th [^>]*data-column="([^"]+)"', html), len(cells), html

    columns, cells, html = shown("/aggregator/courses")
    assert columns == [c for c in every if c in browse] and cells == 5 * len(browse)
    assert f"{len(browse)} of {len(every)} columns shown" in html and "/aggregator/courses?_allcolumns=1" in html
    columns, cells, html = shown("/aggregator/courses?_allcolumns=1&region=Norrbottens+l%C3%A4n")
    assert columns == every and cells == len(every) * len(datasette_get(db_path, "/aggregator/courses.json?region=Norrbottens+l%C3%A4n").json()["rows"])
    assert "Show the main columns" in html
    assert shown("/aggregator/courses?_col=title&_col=region")[0] == ["id", "title", "region"]  # Datasette's own choice
    assert shown("/aggregator/courses?_nocol=title_en")[0] == [c for c in every if c in browse and c != "title_en"]
    assert datasette_get(db_path, "/aggregator/courses.json?_shape=objects").json()["rows"][0].keys() == set(every)
    assert shown("/aggregator/crawl_runs")[0] == list(open_db(db_path)["crawl_runs"].columns_dict)  # other tables: every column


@pytest.mark.parametrize("rows_kept", [None, 4])
def test_a_search_on_a_snapshot_lists_its_first_rows_in_title_order_then_rowid_as_the_live_database(db_path, tmp_path, monkeypatch, rows_kept):
    from urllib.parse import quote

    from aggregator import facets
    from store.db import CourseStore
    from store.runs import start_run
    from tests.test_db import course

    faceted_listings(db_path)
    db = open_db(db_path)  # equal titles: the table's order puts them by rowid
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(
        [course("dup0", title="Batterikurs 10"), course("dup1", title="Batterikurs 0"), course("dup2", title="Batterikurs 10")])
    expected = [r["id"] for r in db.query("select id, rowid from courses where title like 'Batteri%' order by title, rowid")]
    db.close()
    assert len(expected) == 15
    published = str(tmp_path / "aggregator.db")
    snapshot(db_path, published)
    # None: as served (the first max_returned_rows + 1 rows kept per search); 4: fewer rows kept
    # than the matches, and than a 5-row page asks for
    monkeypatch.setattr(facets.PublishedDatabase, "first_rows", rows_kept)
    for size in (3, 5, 20):
        path = f"/aggregator/courses.json?_search=batteri&_size={size}&_shape=objects"
        (first, sql), = facet_pages(published, [path], immutable=True)
        (live, _), = facet_pages(db_path, [path], immutable=False)
        assert [r["id"] for r in first["rows"]] == expected[:size] == [r["id"] for r in live["rows"]]
        assert first["filtered_table_rows_count"] == 15 and first["next"] == live["next"]
        looked_up = any(re.search(r" from courses where rowid in \(\d+(, \d+)*\) order by title, rowid limit \d+$", s) for s in sql)
        assert looked_up == (rows_kept is None or size + 1 <= rows_kept)
        # matched once, for the count, the facets and the rows (again for rows it did not keep)
        matched = [s for s in sql if "courses_fts match" in s]
        assert matched.count("select rowid from courses_fts where courses_fts match escape_fts(:search) -- tallied per facet cell") == 1
        assert len(matched) == 1 + (not looked_up)
        if first["next"]:
            # the next page, Datasette's own query from the cursor (which goes on by title and
            # id, where the first page ordered equal titles by rowid: Datasette's own way)
            following = [f"{path}&_next={quote(first['next'])}"]
            (second, _), = facet_pages(published, following, immutable=True)
            (second_live, _), = facet_pages(db_path, following, immutable=False)
            assert [r["id"] for r in second["rows"]] == [r["id"] for r in second_live["rows"]]
            assert [r["title"] for r in second["rows"]] == sorted(r["title"] for r in second["rows"]) >= [first["rows"][-1]["title"]]


def test_a_visitors_bad_sort_or_post_answers_4xx_not_a_server_error(db_path):
    faceted_listings(db_path, n=3)
    for path in ("/aggregator/courses?_sort=nosuch", "/aggregator/courses?_sort_desc=%27%3Bdrop", "/aggregator/courses.json?_sort=bad"):
        page = datasette_get(db_path, path)
        assert page.status_code == 400 and "Cannot sort table by" in page.text, (path, page.status_code)
    assert datasette_get(db_path, "/aggregator/courses?_sort=title").status_code == 200
    with served(db_path) as url:
        for target in ("/aggregator/courses", "/aggregator/courses.json"):
            request = urllib.request.Request(url + target, data=b"a=b", method="POST")
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=30)
            assert 400 <= answer.value.code < 500, (target, answer.value.code)


def test_a_listings_row_page_answers_with_every_column(db_path):
    faceted_listings(db_path, n=3)
    every = list(open_db(db_path)["courses"].columns_dict)
    course = datasette_get(db_path, "/aggregator/courses.json?_shape=objects&_size=1").json()["rows"][0]
    page = datasette_get(db_path, f"/aggregator/courses/{course['id']}")
    assert page.status_code == 200, page.text[-500:]
    assert re.findall(r'<th [^>]*data-column="([^"]+)"', page.text) == every
    assert course["title"] in page.text
