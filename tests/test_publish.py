"""Publishing: the snapshot the nightly job hands to Datasette, the server's worker processes, the
site plugin's topics facet and filter, and the indexes that let the default facets count
filtered pages."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections import Counter

import pytest
import sqlite_utils
import yaml

from aggregator.publish import METADATA, served
from aggregator.snapshot import snapshot
from aggregator.web.topics import TOPIC_LOOKUP_MAX_SHARE, topic_counts_sql
from store.files import open_db
from store.schema import DEFAULT_FACETS
from tests.conftest import FIXTURES, datasette_get, run_cli

FOUR = FIXTURES / "opintopolku_fi" / "four_offerings" / "responses"


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
    # no staging file left; beside the snapshot, its Datasette configuration (aggregator.web.settings)
    assert sorted(p.name for p in target.parent.iterdir()) == ["aggregator.db", "inspect-data.json", "settings.json"]
    # shaped for the site: one-column indexes for the facets of the whole table, analysed
    indexes = {row[0] for row in reader.execute("select name from sqlite_master where type = 'index'")}
    assert {"site_courses_country", "site_courses_region", "site_course_topics_topic"} <= indexes
    plan = " ".join(
        r[3]
        for r in reader.execute(
            "explain query plan select country, count(*) from (select * from courses) group by country"
        )
    )
    assert "site_courses_country" in plan


def test_default_facets_of_the_metadata_have_covering_indexes_for_filtered_pages(db_path):
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    facets = metadata["databases"]["aggregator"]["tables"]["courses"]["facets"]
    assert tuple(f["counted"] if isinstance(f, dict) else f for f in facets) == DEFAULT_FACETS
    db = open_db(db_path)
    for filtered in DEFAULT_FACETS:
        for facet in DEFAULT_FACETS:
            # the shape of Datasette's facet query on a filtered table page
            sql = (
                f"select {facet} as value, count(*) as count from (select * from courses where {filtered} = :v) "
                f"where {facet} is not null group by {facet} order by count desc, value limit 31"
            )
            plan = " ".join(row[3] for row in db.execute(f"explain query plan {sql}", {"v": "x"}))
            assert "COVERING INDEX" in plan, (filtered, facet, plan)
        # the topics facet, and the page's first rows in the table's sort order, from the index too
        topics = topic_counts_sql(f"select * from courses where {filtered} = :v", "topics", 31)
        assert "COVERING INDEX" in " ".join(row[3] for row in db.execute(f"explain query plan {topics}", {"v": "x"}))
        order = metadata["databases"]["aggregator"]["tables"]["courses"]["sort"]
        rows = f"select * from courses where {filtered} = :v order by {order} limit 51"
        plan = " ".join(row[3] for row in db.execute(f"explain query plan {rows}", {"v": "x"}))
        assert "TEMP B-TREE" not in plan and f"idx_courses_facets_{filtered}" in plan, plan


ARRAYS = [["a", "b"], ["b", "b", "c"], [], None, ["c"], ["a", "c", "a"]]


def test_array_facet_counts_each_listing_once_per_value(tmp_path):
    db = sqlite_utils.Database(tmp_path / "arrays.db")
    db["t"].insert_all(
        [{"id": i, "tags": None if a is None else json.dumps(a), "wide": "x" * 5000} for i, a in enumerate(ARRAYS)],
        pk="id",
    )
    expected = Counter(value for a in ARRAYS if a for value in set(a))
    counted = [tuple(row) for row in db.execute(topic_counts_sql("select * from t", "tags", 10))]
    assert counted == sorted(expected.items(), key=lambda item: (-item[1], item[0]))  # most listings first
    assert len(list(db.execute(topic_counts_sql("select * from t", "tags", 2)))) == 2


def test_array_facet_on_datasette_pages_counts_and_links_like_datasettes_own(tmp_path):
    path = str(tmp_path / "arrays.db")
    sqlite_utils.Database(path)["t"].insert_all(
        [{"id": i, "tags": None if a is None else json.dumps(a)} for i, a in enumerate(ARRAYS)], pk="id"
    )
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
    with served(str(published), workers=2, immutable=True) as base:
        pages = [
            urllib.request.urlopen(base + "/aggregator/courses.json?_shape=array&_col=title", timeout=10).read()
            for _ in range(4)
        ]
        assert len(set(pages)) == 1
        titles = sorted(row["title"] for row in sqlite_utils.Database(published)["courses"].rows)
        assert sorted(row["title"] for row in json.loads(pages[0])) == titles and len(titles) == 4
        html = urllib.request.urlopen(base + "/aggregator/courses", timeout=10).read().decode()
        assert (
            "/-/static-plugins/nordic-course-aggregator/aggregator.css" in html
            and "Akkutekniikan muuntokoulutus" in html
        )


def test_a_topic_picked_in_the_facet_lists_exactly_its_listings_rare_ones_through_the_topic_table(db_path, tmp_path):
    from store.course_store import CourseStore
    from store.runs import register_source, start_run
    from tests.test_db import course

    # batteries on 1 listing of 40 (rare: looked up in course_topics), hydrogen on half of them
    tagged = {
        str(n): (["batteries_energy_storage"] if n == 7 else []) + (["hydrogen"] if n % 2 else []) for n in range(40)
    }
    assert 1 / 40 < TOPIC_LOOKUP_MAX_SHARE < 20 / 40
    db = open_db(db_path)
    register_source(db, {"name": "susanavet_se"})
    items = [
        course(n, topics=[{"topic": t, "terms": [t], "fields": ["title"]} for t in topics])
        for n, topics in tagged.items()
    ]
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(items)
    db.close()
    for topic, looked_up in (("batteries_energy_storage", True), ("hydrogen", False)):
        page = datasette_get(
            db_path,
            f"/aggregator/courses.json?topics__arraycontains={topic}&_shape=objects&_size=max&_facet_topic=topics",
        ).json()
        assert sorted(r["source_id"] for r in page["rows"]) == sorted(
            n for n, topics in tagged.items() if topic in topics
        )
        assert ("course_topics" in page["query"]["sql"]) == looked_up
        counts = {r["value"]: r["count"] for r in page["facet_results"]["topics"]["results"]}
        assert counts[topic] == len(page["rows"])
    both = datasette_get(
        db_path,
        "/aggregator/courses.json?topics__arraycontains=hydrogen&topics__arraycontains=batteries_energy_storage&_shape=objects",
    ).json()
    assert [r["source_id"] for r in both["rows"]] == ["7"]
    # without a topic table (a database of an older schema) Datasette's array filter works alone
    other = str(tmp_path / "other.db")
    old = open_db(other)
    old["course_topics"].drop()
    old["courses"].insert_all(
        [
            {"id": str(i), "source": "s", "source_id": str(i), "title": str(i), "topics": json.dumps(a)}
            for i, a in enumerate(ARRAYS)
            if a is not None
        ]
    )
    old.close()
    rows = datasette_get(other, "/other/courses.json?topics__arraycontains=c&_shape=objects").json()["rows"]
    assert sorted(r["id"] for r in rows) == ["1", "4", "5"]


# listings over a few counted columns, values repeated unevenly so that facet orders matter
PLACES = [
    ("Västerbottens län", "Skellefteå"),
    ("Västerbottens län", "Umeå"),
    ("Norrbottens län", "Luleå"),
    (None, None),
]
TOPIC_LABELS = {
    "hydrogen": "Hydrogen",
    "batteries_energy_storage": "Batteries and energy storage",
    "recycling_circular": "Recycling and circular economy",
}
TYPES = ["higher_vocational", "university_course", "vocational_module"]


def faceted_listings(db_path: str, n: int = 60) -> list[dict]:
    from store.course_store import CourseStore
    from store.runs import register_source, start_run
    from tests.test_db import course

    items = []
    for i in range(n):
        region, municipality = PLACES[(0, 0, 1, 2, 0, 3, 1)[i % 7]]
        # hydrogen and batteries common (Datasette's array filter), recycling rare (the topic lookup)
        topics = (
            ["hydrogen"] * (i % 3 == 0)
            + ["batteries_energy_storage"] * (i % 4 == 1)
            + ["recycling_circular"] * (i in (7, 8))
        )
        items.append(
            course(
                str(i),
                title=f"{'Batteri' if i % 5 == 0 else 'Svets'}kurs {i}",
                region=region,
                municipality=municipality,
                education_type=TYPES[i % 7 % 3],
                eqf_level=[4, 5, 5, 6, None][i % 5],
                topics=[{"topic": t, "label": TOPIC_LABELS[t], "terms": [t], "fields": ["title"]} for t in topics],
            )
        )
    db = open_db(db_path)
    register_source(db, {"name": "susanavet_se"})
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(items)
    from aggregator.labels import write_value_labels

    with db.conn:
        write_value_labels(db.conn)  # as the nightly job does
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


def facet_values(page: dict, name: str) -> list[tuple]:
    return [(r["value"], r["count"]) for r in page["facet_results"][name]["results"]]


FILTERED = {
    "": lambda r: True,
    "region=V%C3%A4sterbottens+l%C3%A4n": lambda r: r["region"] == "Västerbottens län",
    "eqf_level=5&education_type__not=vocational_module": lambda r: (
        r["eqf_level"] == 5 and r["education_type"] != "vocational_module"
    ),
    "region__isnull=1": lambda r: r["region"] is None,
    "municipality=Lule%C3%A5&_page=3": lambda r: r["municipality"] == "Luleå",
    "topics__arraycontains=hydrogen&eqf_level=5": lambda r: "hydrogen" in (r["topics"] or "") and r["eqf_level"] == 5,
    "topics__arraycontains=recycling_circular": lambda r: "recycling_circular" in (r["topics"] or ""),
}


@pytest.mark.parametrize("query", list(FILTERED))
def test_facets_of_a_snapshot_and_of_the_live_database_are_datasettes_own_counts_of_the_listings(
    db_path, tmp_path, query
):
    rows = faceted_listings(db_path)
    published = str(tmp_path / "public" / "aggregator.db")
    snapshot(db_path, published)
    path = f"/aggregator/courses.json?{query}&_facet=municipality&_facet_topic=topics&_size=max"
    ((page, sql),) = facet_pages(published, [path], immutable=True)
    selected = [r for r in rows if FILTERED[query](r)]
    assert 0 < page["filtered_table_rows_count"] == len(selected) == len(page["rows"])
    for column in (*DEFAULT_FACETS, "municipality"):
        assert facet_values(page, column) == expected_facet(selected, column)
        assert page["facet_results"][column]["type"] == ("column" if column == "municipality" else "counted")
    # the default facets of a page narrowed only by counted columns and a topic: from the counts
    counted = [
        s
        for s in sql
        if (" from [facet_counts] " in s or " from [facet_topic_counts] " in s) and not s.startswith("select topic ")
    ]
    assert len(counted) == len(DEFAULT_FACETS) and all(
        s.startswith(tuple(f"select {c} as value, sum(listings)" for c in DEFAULT_FACETS)) for s in counted
    )
    assert ("from [facet_topic_counts]" in " ".join(counted)) == ("topics__arraycontains" in query)
    topics = Counter(topic for r in selected for topic in set(json.loads(r["topics"] or "[]")))
    assert dict(facet_values(page, "topics")) == dict(topics)
    assert page["facet_results"]["topics"]["type"] == "topic"
    # English labels from the label table, the values as stored
    labels = {
        r["value"]: r["label"]
        for r in page["facet_results"]["region"]["results"] + page["facet_results"]["education_type"]["results"]
    }
    assert (
        labels.get("Västerbottens län", "Västerbottens län (Västerbotten County)")
        == "Västerbottens län (Västerbotten County)"
    )
    assert labels.get("higher_vocational", "Higher vocational education (YH)") == "Higher vocational education (YH)"
    assert any(value != label for value, label in labels.items())
    # each topic's English label from course_topics, its value in the link: picking it adds
    # Datasette's own array filter; picked, its link removes it
    for shown in page["facet_results"]["topics"]["results"]:
        assert shown["label"] == TOPIC_LABELS[shown["value"]]
        assert shown["selected"] == (f"topics__arraycontains={shown['value']}" in query)
        assert (f"topics__arraycontains={shown['value']}" in shown["toggle_url"]) != shown["selected"]
    # Datasette's own facet query for a column not counted by default, over the page's own query;
    # the topics from the counts, but a topic's page from its listings' arrays (which other
    # topics they carry is not in the counts)
    assert sum(s.startswith("select municipality as value, count(*) as count from (") for s in sql) == 1
    assert any(
        s.startswith("select topic as value, sum(listings) as count from [facet_topic_counts]") for s in sql
    ) == ("topics__" not in query)
    assert any("json_each(facet_rows" in s for s in sql) == ("topics__" in query)
    ((live, live_sql),) = facet_pages(db_path, [path], immutable=False)
    # a live database has no counts: its whole table's topics from course_topics
    assert any(
        s.startswith("select topic as value, count(*) as count from [course_topics] group by topic") for s in live_sql
    ) == (query == "")
    assert live["facet_results"] == page["facet_results"] and live["rows"] == page["rows"]
    assert not any("sum(listings) as count" in s for s in live_sql)  # a live database: Datasette's own queries


def test_facets_of_a_search_or_any_other_filter_are_counted_from_the_matching_listings(db_path, tmp_path):
    rows = faceted_listings(db_path)
    published = str(tmp_path / "public" / "aggregator.db")
    snapshot(db_path, published)
    paths = [
        "/aggregator/courses.json?_search=batteri&_size=max&_facet_size=2",
        "/aggregator/courses.json?_where=eqf_level>4&region=Norrbottens+l%C3%A4n&_size=max",
        "/aggregator/courses.json?topics__arraycontains=hydrogen&topics__arraycontains=batteries_energy_storage&_size=max",
    ]
    matching = [
        # the search covers the topics too: "batteri" is in the topic id batteries_energy_storage
        lambda r: r["title"].startswith("Batteri") or "batteries" in (r["topics"] or ""),
        lambda r: (r["eqf_level"] or 0) > 4 and r["region"] == "Norrbottens län",
        lambda r: "hydrogen" in (r["topics"] or "") and "batteries" in (r["topics"] or ""),
    ]
    pages = zip(
        facet_pages(published, paths, immutable=True),
        facet_pages(db_path, paths, immutable=False),
        matching,
        (2, 30, 30),
        strict=False,
    )
    for (page, sql), (live, _), matches, size in pages:
        selected = [r for r in rows if matches(r)]
        assert 0 < len(selected) == len(page["rows"])
        for column in DEFAULT_FACETS:
            expected = expected_facet(selected, column)
            assert facet_values(page, column) == expected[:size]
            assert page["facet_results"][column]["truncated"] == (len(expected) > size)
        assert live["facet_results"] == page["facet_results"]
        assert page["filtered_table_rows_count"] == live["filtered_table_rows_count"] == len(selected)
        assert not any("sum(listings) as count" in s for s in sql)  # a search, _where, two topics: from the listings
        # read once for the four default facets together, not once per facet
        assert sum(s.endswith("group by country, education_type, eqf_level, region") for s in sql) == 1
        assert not any(s.startswith("select region as value, count(*)") for s in sql)


def test_a_published_snapshot_is_read_memory_mapped_and_a_live_database_is_not(db_path, tmp_path):
    from aggregator.publish import build_datasette

    faceted_listings(db_path, n=5)
    published = str(tmp_path / "public" / "aggregator.db")
    snapshot(db_path, published)

    async def mmap_size(path, immutable):
        ds = build_datasette(path, immutable=immutable)
        await ds.invoke_startup()
        return (await ds.get_database("aggregator").execute("pragma mmap_size")).first()[0]

    assert asyncio.run(mmap_size(published, True)) > 2**20
    assert asyncio.run(mmap_size(db_path, False)) == 0


def test_the_courses_page_shows_its_main_columns_with_a_link_to_all_and_json_keeps_every_column(db_path):
    faceted_listings(db_path, n=5)
    browse = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["aggregator"]["tables"]["courses"][
        "browse_columns"
    ]
    every = list(open_db(db_path)["courses"].columns_dict)

    def shown(path):
        html = datasette_get(db_path, path).text
        cells = re.findall(r'<td class="col-([\w-]+) ', html)
        return re.findall(r'<th [^>]*data-column="([^"]+)"', html), len(cells), html

    columns, cells, html = shown("/aggregator/courses")
    assert columns == browse and cells == 5 * len(browse)  # in the metadata's order: the English title first
    assert browse[0] == "title_en" and "id" not in browse  # the title links the listing; no hash id column
    assert f"{len(browse)} of {len(every)} columns shown" in html and "/aggregator/courses?_allcolumns=1" in html
    columns, cells, html = shown("/aggregator/courses?_allcolumns=1&region=Norrbottens+l%C3%A4n")
    assert columns == every and cells == len(every) * len(
        datasette_get(db_path, "/aggregator/courses.json?region=Norrbottens+l%C3%A4n").json()["rows"]
    )
    assert "Show the main columns" in html
    assert shown("/aggregator/courses?_col=title&_col=region")[0] == ["id", "title", "region"]  # Datasette's own choice
    assert shown("/aggregator/courses?_nocol=title_en")[0] == [c for c in browse if c != "title_en"]
    assert datasette_get(db_path, "/aggregator/courses.json?_shape=objects").json()["rows"][0].keys() == set(every)
    assert shown("/aggregator/crawl_runs")[0] == list(
        open_db(db_path)["crawl_runs"].columns_dict
    )  # other tables: every column


def test_a_search_on_a_snapshot_lists_its_rows_in_title_order_as_the_live_database(db_path, tmp_path):
    from urllib.parse import quote

    from store.course_store import CourseStore
    from store.runs import start_run
    from tests.test_db import course

    faceted_listings(db_path)
    db = open_db(db_path)
    CourseStore(db, "susanavet_se", start_run(db, "susanavet_se")).write(
        [
            course("dup0", title="Batterikurs 10"),
            course("dup1", title="Batterikurs 0"),
            course("dup2", title="Batterikurs 10"),
        ]
    )
    # the search covers the topics too: "batteri" is in the topic id batteries_energy_storage
    expected = [
        r["title"]
        for r in db.query(
            "select title from courses where title like 'Batteri%' or topics like '%batteries%' order by title"
        )
    ]
    db.close()
    assert len(expected) == 27
    published = str(tmp_path / "public" / "aggregator.db")
    snapshot(db_path, published)
    for size in (3, 5, 20):
        path = f"/aggregator/courses.json?_search=batteri&_size={size}&_shape=objects"
        ((first, _),) = facet_pages(published, [path], immutable=True)
        ((live, _),) = facet_pages(db_path, [path], immutable=False)
        assert [r["title"] for r in first["rows"]] == expected[:size]
        assert first["rows"] == live["rows"] and first["next"] == live["next"]
        assert first["filtered_table_rows_count"] == len(expected)
        if first["next"]:
            following = [f"{path}&_next={quote(first['next'])}"]
            ((second, _),) = facet_pages(published, following, immutable=True)
            ((second_live, _),) = facet_pages(db_path, following, immutable=False)
            assert second["rows"] == second_live["rows"]
            assert (
                [r["title"] for r in second["rows"]]
                == sorted(r["title"] for r in second["rows"])
                >= [first["rows"][-1]["title"]]
            )


def test_a_visitors_bad_sort_or_post_answers_4xx_not_a_server_error(db_path):
    faceted_listings(db_path, n=3)
    for path in (
        "/aggregator/courses?_sort=nosuch",
        "/aggregator/courses?_sort_desc=%27%3Bdrop",
        "/aggregator/courses.json?_sort=bad",
    ):
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
