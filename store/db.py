"""A door for code written against the single ``store.db`` module this package once was: the
names it offered, from the files that now hold them. New code imports those files directly."""

from store.course_store import CourseStore, update_current
from store.files import beside_db, known_modified, last_successful_crawl, open_db, resolve_db_path, write_lock
from store.indexes import DEFAULT_DEFER_INDEXES_AFTER, defer_course_indexes, restore_deferred_indexes
from store.listing import BOOL_FIELDS, CONTENT_FIELDS, DERIVED_FIELDS, JSON_FIELDS, STORED_FIELDS
from store.rows import content_hash, course_id, course_row, now_iso, provider_key
from store.schema import (
    DEFAULT_FACETS,
    DUPLICATES_TABLE,
    MIGRATION_SET,
    SchemaProblem,
    SchemaTooNew,
    UnknownColumns,
    add_course_columns,
    migrate,
)

__all__ = [
    "BOOL_FIELDS",
    "CONTENT_FIELDS",
    "DEFAULT_DEFER_INDEXES_AFTER",
    "DEFAULT_FACETS",
    "DERIVED_FIELDS",
    "DUPLICATES_TABLE",
    "JSON_FIELDS",
    "MIGRATION_SET",
    "STORED_FIELDS",
    "CourseStore",
    "SchemaProblem",
    "SchemaTooNew",
    "UnknownColumns",
    "add_course_columns",
    "beside_db",
    "content_hash",
    "course_id",
    "course_row",
    "defer_course_indexes",
    "known_modified",
    "last_successful_crawl",
    "migrate",
    "now_iso",
    "open_db",
    "provider_key",
    "resolve_db_path",
    "restore_deferred_indexes",
    "update_current",
    "write_lock",
]
