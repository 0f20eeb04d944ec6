"""Bulk loads without index upkeep: the secondary indexes of ``courses`` dropped (their SQL kept)
while a large first load writes, and made again once when it ends or at the next job's start."""

from __future__ import annotations

import re

import sqlite_utils

DEFERRED_INDEXES_TABLE = "_deferred_indexes"
# A run that has added this many new listings, and more than the table held when it started, is
# a bulk load (CourseStore); the crawl's setting AGGREGATOR_DEFER_INDEXES_AFTER passes its own.
DEFAULT_DEFER_INDEXES_AFTER = 20_000


def defer_course_indexes(db: sqlite_utils.Database) -> list[str]:
    """Drop the courses table's secondary indexes, recording their SQL first so that
    ``restore_deferred_indexes`` makes them again, in this run or the next open after a crash.
    Unique indexes stay: they are constraints, not just speed. Returns the dropped names."""
    indexes = db.execute(
        "select name, sql from sqlite_master where type = 'index' and tbl_name = 'courses'"
        " and sql is not null and sql not like 'CREATE UNIQUE%'"
    ).fetchall()
    with db.atomic():
        db[DEFERRED_INDEXES_TABLE].create({"name": str, "sql": str}, pk="name", if_not_exists=True)
        db[DEFERRED_INDEXES_TABLE].upsert_all([{"name": n, "sql": sql} for n, sql in indexes], pk="name")
        for name, _ in indexes:
            db.execute(f"drop index [{name}]")
    return [name for name, _ in indexes]


def restore_deferred_indexes(db: sqlite_utils.Database) -> list[str]:
    """Make the indexes ``defer_course_indexes`` dropped; returns their names."""
    if DEFERRED_INDEXES_TABLE not in db.table_names():
        return []
    with db.atomic():
        deferred = db.execute(f"select name, sql from [{DEFERRED_INDEXES_TABLE}]").fetchall()
        for _, sql in deferred:
            # another process (an open after a crash) may have restored it already
            db.execute(re.sub(r"^CREATE INDEX", "CREATE INDEX IF NOT EXISTS", sql))
        db.execute(f"delete from [{DEFERRED_INDEXES_TABLE}]")
    return [name for name, _ in deferred]
