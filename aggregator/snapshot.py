"""Publishing a database: a snapshot for `aggregator serve --immutable` (or stock
`datasette serve FOLDER`: the snapshot's folder is a Datasette configuration directory)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

from aggregator.labels import write_value_labels
from aggregator.supply_counts import write_supply_counts
from aggregator.web.settings import write_configuration_directory


def snapshot(db_path: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Copy the database to ``target`` for publishing, atomically: a server reading the old
    snapshot keeps reading it (its open file) until it is restarted on the new one. The copy is
    a consistent point in time (SQLite's online backup) in rollback-journal mode, so it can be
    opened immutable and read-only. Its folder gets the site's Datasette settings and the
    snapshot's table counts (``aggregator.web.settings``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging")
    # what a snapshot killed midway left: its staging copy and that copy's rollback journal
    staging.unlink(missing_ok=True)
    staging.with_name(staging.name + "-journal").unlink(missing_ok=True)
    source = sqlite3.connect(str(db_path))
    copy = sqlite3.connect(str(staging))
    try:
        source.backup(copy)
        with copy:
            shape_for_the_site(copy)
            write_facet_counts(copy)
            write_value_labels(copy)
            write_supply_counts(copy)  # the planner's pages (aggregator.web.supply)
        copy.execute("pragma journal_mode = delete")
        tables = {
            name: copy.execute(f"select count(*) from [{name}]").fetchone()[0]
            for (name,) in copy.execute("select name from sqlite_master where type = 'table'").fetchall()
        }
    finally:
        copy.close()
        source.close()
    file_hash = _sha256(staging)
    os.replace(staging, target)
    for kept in write_configuration_directory(target, tables, file_hash):
        # not ours to replace: `datasette serve` of this folder would not get the site's settings
        print(f"warning: {kept} was not written by a snapshot and is kept as it is", file=sys.stderr)
    return target


def _sha256(path: Path) -> str:
    """The file's hash as ``datasette inspect`` computes it."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# The columns the site counts on every page (the metadata's default facets) and on request. On a
# table page Datasette counts each facet over every listing: from a one-column index that is a
# third faster than from the wide covering indexes the store keeps for filtered pages (21.6 ->
# 14.9 ms per facet at 300,000 listings). Made in the snapshot only, so the crawl does not write
# them on every stored listing.
SITE_INDEXED_COLUMNS = ("country", "education_type", "eqf_level", "region", "source", "municipality")


def shape_for_the_site(conn: sqlite3.Connection) -> None:
    """Indexes that serve Datasette's own queries on the published copy (SITE_INDEXED_COLUMNS;
    for the topic lookup course_topics by topic and the listings by id), then fresh statistics."""
    if not conn.execute("select 1 from sqlite_master where type = 'table' and name = 'courses'").fetchone():
        return
    columns = {row[1] for row in conn.execute("pragma table_info(courses)")}
    for column in SITE_INDEXED_COLUMNS:
        if column in columns:
            conn.execute(f"create index if not exists [site_courses_{column}] on courses ([{column}])")
    if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'course_topics'").fetchone():
        conn.execute("create index if not exists [site_course_topics_topic] on course_topics (topic, course_id)")
        # a topic page visits its listings by id (web.topics.topic_lookup): with the default
        # facets' columns and the topics beside the id, each visit reads this index instead of a
        # wide row (19 instead of 38 ms per facet of a topic on 3.3 % of 300,000 listings)
        wanted = [c for c in ("id", "country", "education_type", "eqf_level", "region", "topics") if c in columns]
        conn.execute(
            f"create index if not exists [site_courses_by_id] on courses ({', '.join(f'[{c}]' for c in wanted)})"
        )
    conn.execute("analyze")


# The columns a published snapshot keeps its listings counted by, for the site's counted facets
# (aggregator.web.counted): the default facets and those offered on request. Only a snapshot has
# the counts, because only a snapshot cannot change after they are counted.
FACET_COUNT_COLUMNS = (
    "country",
    "source",
    "education_type",
    "eqf_level",
    "region",
    "municipality",
    "title_effective_lang",
    "isced_f",  # field of education: ?_facet_counted=isced_f
    # the courses pages /supply links to (topic, NUTS-3, EQF range, current listings) count their
    # facets from the counts too; one NUTS-3 per region, and removal times are few (one per run)
    "nuts3",
    "removed_at",
)
FACET_COUNTS_TABLE = "facet_counts"
TOPIC_COUNTS_TABLE = "facet_topic_counts"


def write_facet_counts(conn: sqlite3.Connection) -> None:
    """(Re)write ``facet_counts`` (the listings per combination of FACET_COUNT_COLUMNS) and
    ``facet_topic_counts`` (the same per topic, a listing counted once per topic it carries).
    Columns keep their declared types, so that a filter compares with the same type conversions
    on the counts as on the listings."""
    declared = {name: kind for _, name, kind, *_ in conn.execute("pragma table_info(courses)")}
    if not declared:
        return
    columns = [c for c in FACET_COUNT_COLUMNS if c in declared]
    names = ", ".join(f"[{c}]" for c in columns)
    definitions = ", ".join(f"[{c}] {declared[c]}" for c in columns)
    conn.execute(f"drop table if exists [{FACET_COUNTS_TABLE}]")
    conn.execute(f"create table [{FACET_COUNTS_TABLE}] ({definitions}, listings INTEGER NOT NULL)")
    conn.execute(
        f"insert into [{FACET_COUNTS_TABLE}] ({names}, listings) select {names}, count(*) from courses group by {names}"
    )
    conn.execute(f"drop table if exists [{TOPIC_COUNTS_TABLE}]")
    if "topics" in declared:
        conn.execute(f"create table [{TOPIC_COUNTS_TABLE}] ({definitions}, topic TEXT, listings INTEGER NOT NULL)")
        # a topic twice in one array counts once: at its first position, as the topics facet counts it
        conn.execute(f"""
            insert into [{TOPIC_COUNTS_TABLE}]
            select {", ".join(f"courses.[{c}]" for c in columns)}, item.value, count(*)
            from courses join json_each(courses.topics) as item
            where json_valid(courses.topics)
              and item.key =
                  (select min(first.key) from json_each(courses.topics) as first where first.value = item.value)
            group by {", ".join(f"courses.[{c}]" for c in columns)}, item.value""")
        conn.execute(f"create index [{TOPIC_COUNTS_TABLE}_topic] on [{TOPIC_COUNTS_TABLE}] (topic)")
