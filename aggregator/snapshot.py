"""Publishing a database: a snapshot for `aggregator serve --immutable`, with its listings
counted per facet value (the tables aggregator.facets reads)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def snapshot(db_path: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Copy the database to ``target`` for publishing, atomically: a server reading the old
    snapshot keeps reading it (its open file) until it is restarted on the new one. The copy is
    a consistent point in time (SQLite's online backup) in rollback-journal mode, so it can be
    opened immutable and read-only, with its listings counted for the facets
    (write_facet_counts)."""
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
        if copy.execute("select 1 from sqlite_master where name = 'courses'").fetchone():
            with copy:
                write_facet_counts(copy)
        copy.execute("pragma journal_mode = delete")
    finally:
        copy.close()
        source.close()
    os.replace(staging, target)
    return target


# The columns a published snapshot keeps its listings counted by (aggregator.facets): the default
# facets and those offered on request. At 300,000 listings a page filtered by a country counts each
# facet over 300,000 index entries (30-110 ms each); from these counts it reads at most a few
# thousand rows. Only a snapshot has them, because only a snapshot cannot change after they are
# counted.
FACET_COUNT_COLUMNS = ("country", "source", "education_type", "eqf_level", "region", "municipality", "title_effective_lang")
FACET_COUNTS_TABLE = "facet_counts"
TOPIC_COUNTS_TABLE = "facet_topic_counts"
FACET_CELLS_TABLE = "facet_cells"


def write_facet_counts(conn: sqlite3.Connection) -> None:
    """(Re)write the snapshot's ``facet_counts`` (listings per combination of
    FACET_COUNT_COLUMNS, each combination a ``cell``), ``facet_cells`` (each listing's cell, by
    its rowid) and ``facet_topic_counts`` (the counts per topic, each listing counted once per
    topic as the topics facet counts it). Columns keep their declared types, so that a filter
    compares with the same type conversions on the counts as on the listings."""
    declared = {name: kind for _, name, kind, *_ in conn.execute("pragma table_info(courses)")}
    columns = [c for c in FACET_COUNT_COLUMNS if c in declared]
    names = ", ".join(f"[{c}]" for c in columns)
    definitions = ", ".join(f"[{c}] {declared[c]}" for c in columns)
    conn.execute(f"drop table if exists [{FACET_COUNTS_TABLE}]")
    conn.execute(f"create table [{FACET_COUNTS_TABLE}] (cell INTEGER PRIMARY KEY, {definitions}, listings INTEGER NOT NULL)")
    conn.execute(f"insert into [{FACET_COUNTS_TABLE}] ({names}, listings) select {names}, count(*) from courses group by {names}")
    conn.execute(f"create index [{FACET_COUNTS_TABLE}_values] on [{FACET_COUNTS_TABLE}] ({names})")
    # a search's facets group its listings' cells (two integers a listing, a few MB) instead of
    # reading their columns in the 70-column table: 88-119 -> 34 ms for 50,000 listings
    conn.execute(f"drop table if exists [{FACET_CELLS_TABLE}]")
    conn.execute(f"create table [{FACET_CELLS_TABLE}] (course INTEGER PRIMARY KEY, cell INTEGER NOT NULL)")
    same_values = " and ".join(f"counts.[{c}] is courses.[{c}]" for c in columns)
    conn.execute(f"insert into [{FACET_CELLS_TABLE}] select courses.rowid, counts.cell from courses"
                 f" join [{FACET_COUNTS_TABLE}] as counts on {same_values}")
    conn.execute(f"drop table if exists [{TOPIC_COUNTS_TABLE}]")
    if "topics" in declared:
        conn.execute(f"create table [{TOPIC_COUNTS_TABLE}] ({definitions}, topic TEXT, listings INTEGER NOT NULL)")
        # a topic twice in one array counts once: at its first position, as the facet counts it
        conn.execute(f"""
            insert into [{TOPIC_COUNTS_TABLE}]
            select {", ".join(f"courses.[{c}]" for c in columns)}, item.value, count(*)
            from courses join json_each(courses.topics) as item
            where json_valid(courses.topics)
              and item.key = (select min(first.key) from json_each(courses.topics) as first where first.value = item.value)
            group by {", ".join(f"courses.[{c}]" for c in columns)}, item.value""")
