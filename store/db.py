"""The database: schema by named migrations, course upserts with history, run bookkeeping.

Everything is written through sqlite-utils. Writes happen in transactions (``db.atomic()``), so
a crash or kill mid-run leaves the previous data intact; the database runs in WAL mode so
Datasette can read while a crawl writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from store.listing import COURSE_COLUMN_TYPES, COURSE_FIELDS, Course, HeldBack
from store.offerings import register_matches, site_listings_matching

DEFAULT_DB = "aggregator.db"
# A run that has added this many new listings, and more than the table held when it started, is
# a bulk load (CourseStore); the crawl's setting AGGREGATOR_DEFER_INDEXES_AFTER passes its own.
DEFAULT_DEFER_INDEXES_AFTER = 20_000

# Fields the pipelines derive (not source facts): refreshed on every crawl, never a "change".
DERIVED_FIELDS: tuple[str, ...] = tuple(
    f
    for f in COURSE_FIELDS
    if f.endswith(("_en", "_en_method", "_en_model", "_detected_lang", "_lang_confidence", "_effective_lang"))
    or f in ("text_languages", "topics", "start_from", "latitude", "longitude", "coordinates_method")
)
# Source facts whose change is a change of the listing (what course_changes records). Where the
# record was read (a replay port, a mirror: source_url) and when are not its content.
CONTENT_FIELDS: tuple[str, ...] = tuple(
    f for f in COURSE_FIELDS if f not in {"id", "source", "source_url", "fetched_at", "removed", *DERIVED_FIELDS}
)
JSON_FIELDS = {
    "title_i18n",
    "description_i18n",
    "copied_variants",
    "instruction_languages",
    "study_forms",
    "teaching_times",
    "extras",
    "text_languages",
    "topics",
}
BOOL_FIELDS = {"rolling_admission", "cancelled", "ects_estimated"}
STORED_FIELDS = tuple(name for name in COURSE_FIELDS if name != "removed")
FACET_COLUMNS = (
    "source",
    "country",
    "education_type",
    "title_lang",
    "municipality",
    "region",
    "eqf_level",
    "provider_name",
    "removed_at",
    "start_date",
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> str:
    return str(path or os.environ.get("AGGREGATOR_DB") or DEFAULT_DB)


def course_id(source: str, source_id: str) -> str:
    """Stable id of a listing: the same (source, source_id) gives the same id in every run."""
    return hashlib.sha1(f"{source}\x1f{source_id}".encode()).hexdigest()[:16]


def provider_key(source: str, provider_id: str | None, name: str | None) -> str | None:
    if not provider_id and not name:
        return None
    return hashlib.sha1(f"{source}\x1f{provider_id or name}".encode()).hexdigest()[:16]


# --- migrations ----------------------------------------------------------------------------
def _m0001_initial(db: sqlite_utils.Database) -> None:
    text, integer, real = str, int, float
    db["courses"].create(
        {
            "id": text,
            "source": text,
            "source_id": text,
            "source_url": text,
            "url": text,
            "country": text,
            "fetched_at": text,
            "source_modified_at": text,
            "content_hash": text,
            "title": text,
            "title_lang": text,
            "title_i18n": text,
            "title_en": text,
            "title_en_method": text,
            "title_en_model": text,
            "description": text,
            "description_lang": text,
            "description_i18n": text,
            "description_en": text,
            "description_en_method": text,
            "description_en_model": text,
            "copied_variants": text,
            "provider_id": text,
            "provider_name": text,
            "institution_id": text,
            "institution_name": text,
            "municipality_code": text,
            "municipality": text,
            "region": text,
            "country_region": text,
            "mode": text,
            "education_type": text,
            "education_type_source": text,
            "eqf_level": integer,
            "level_source": text,
            "credits": real,
            "credit_unit": text,
            "ects": real,
            "instruction_languages": text,
            "study_forms": text,
            "teaching_times": text,
            "pace_percent": integer,
            "start_date": text,
            "end_date": text,
            "start_term": text,
            "rolling_admission": integer,
            "application_start": text,
            "application_end": text,
            "application_code": text,
            "fee_type": text,
            "fee_amount": real,
            "cancelled": integer,
            "extras": text,
            "first_seen": text,
            "last_seen": text,
            "removed_at": text,
            "last_run_id": integer,
        },
        pk="id",
        not_null={"source", "source_id"},
    )
    db["courses"].create_index(["source", "source_id"], unique=True)
    for column in FACET_COLUMNS:
        db["courses"].create_index([column])
    db["providers"].create(
        {
            "id": text,
            "source": text,
            "source_provider_id": text,
            "name": text,
            "country": text,
            "first_seen": text,
            "last_seen": text,
        },
        pk="id",
    )
    db["sources"].create(
        {
            "name": text,
            "country": text,
            "title": text,
            "url": text,
            "licence": text,
            "licence_url": text,
            "api_base_url": text,
            "last_run_id": integer,
            "last_successful_run_id": integer,
            "last_successful_crawl": text,
        },
        pk="name",
    )
    db["crawl_runs"].create(
        {
            "id": integer,
            "source": text,
            "started_at": text,
            "finished_at": text,
            "status": text,
            "finish_reason": text,
            "items": integer,
            "new": integer,
            "changed": integer,
            "unchanged": integer,
            "restored": integer,
            "removed": integer,
            "dropped": integer,
            "errors": integer,
            "http_errors": integer,
            "not_found": integer,
            "missing_fields": text,
            "invalid_fields": text,
            "error_counts": text,
            "note": text,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name")],
    )
    db["crawl_runs"].create_index(["source", "started_at"])
    db["course_changes"].create(
        {
            "id": integer,
            "course_id": text,
            "run_id": integer,
            "changed_at": text,
            "field": text,
            "old_value": text,
            "new_value": text,
        },
        pk="id",
        foreign_keys=[("course_id", "courses", "id"), ("run_id", "crawl_runs", "id")],
    )
    db["course_changes"].create_index(["course_id"])
    db["course_changes"].create_index(["run_id"])
    db["translations"].create(
        {
            "source_lang": text,
            "target_lang": text,
            "model": text,
            "text_hash": text,
            "source_text": text,
            "translated_text": text,
            "created_at": text,
        },
        pk=("source_lang", "target_lang", "model", "text_hash"),
    )


FTS_COLUMNS = ("title", "title_en", "description", "description_en", "provider_name")


def _m0002_fulltext(db: sqlite_utils.Database) -> None:
    # The trigram tokenizer matches inside words: "batteri" in "batteriteknik", "hitsau" in
    # "hitsauksen". Plain unicode61 matches whole tokens only and misses both.
    db["courses"].enable_fts(
        list(FTS_COLUMNS),
        tokenize="trigram",
        create_triggers=True,
    )


def _m0003_languages(db: sqlite_utils.Database) -> None:
    courses = db["courses"]
    for field in ("title", "description"):
        courses.add_column(f"{field}_detected_lang", str)
        courses.add_column(f"{field}_lang_confidence", float)
        courses.add_column(f"{field}_effective_lang", str)
    courses.add_column("text_languages", str)
    courses.create_index(["title_detected_lang"])
    db.create_view(
        "language_disagreements",
        """
        select id, source, source_id, 'title' as field, title_lang as declared,
               title_detected_lang as detected, title_lang_confidence as confidence,
               title_effective_lang as effective, title as text
        from courses where title_detected_lang is not null and title_lang is not null
          and title_detected_lang != 'und' and title_detected_lang != title_lang
        union all
        select id, source, source_id, 'description', description_lang, description_detected_lang,
               description_lang_confidence, description_effective_lang, substr(description, 1, 300)
        from courses where description_detected_lang is not null and description_lang is not null
          and description_detected_lang != 'und' and description_detected_lang != description_lang
        """,
    )


def _m0004_run_counters(db: sqlite_utils.Database) -> None:
    db["crawl_runs"].add_column("counters", str)


def _m0005_source_health(db: sqlite_utils.Database) -> None:
    db.create_view(
        "source_health",
        """
        select s.name as source, s.country, s.last_successful_crawl,
               round((julianday('now') - julianday(s.last_successful_crawl)) * 24, 1) as hours_since_success,
               r.status as last_status, r.finished_at as last_finished, r.note as last_note,
               (select count(*) from courses c where c.source = s.name and c.removed_at is null) as listings,
               (select count(*) from courses c where c.source = s.name and c.removed_at is not null) as removed_listings,
               (select min(c.last_seen) from courses c where c.source = s.name and c.removed_at is null) as oldest_last_seen
        from sources s left join crawl_runs r on r.id = s.last_run_id
        """,
    )


def _m0006_comparable(db: sqlite_utils.Database) -> None:
    courses = db["courses"]
    courses.add_column("eqf_method", str)
    courses.add_column("nqf_level", int)
    courses.add_column("ects_estimated", int)
    courses.add_column("ects_method", str)
    courses.add_column("region_code", str)
    courses.add_column("nuts3", str)
    courses.create_index(["nuts3"])


def _m0007_topics(db: sqlite_utils.Database) -> None:
    db["courses"].add_column("topics", str)
    db["course_topics"].create(
        {"course_id": str, "topic": str, "label": str, "matched_terms": str, "matched_fields": str},
        pk=("course_id", "topic"),
        foreign_keys=[("course_id", "courses", "id")],
    )
    db["course_topics"].create_index(["topic"])


# What a person browsing the table wants to see first; the rest follows in its old order.
READING_ORDER = (
    "id",
    "title",
    "title_en",
    "provider_name",
    "municipality",
    "region",
    "country",
    "education_type",
    "eqf_level",
    "credits",
    "credit_unit",
    "ects",
    "start_date",
    "start_term",
    "instruction_languages",
    "topics",
    "url",
)


def _m0008_drop_country_region(db: sqlite_utils.Database) -> None:
    # country_region was never filled (region_code and nuts3 of 0006 carry it), and the
    # columns a reader needs first come first. Rebuilding the table drops the full-text
    # triggers with it, so they are made again and the index rebuilt.
    db["courses"].disable_fts()
    db["courses"].transform(drop={"country_region"}, column_order=READING_ORDER)
    _m0002_fulltext(db)
    db["courses"].rebuild_fts()


def _m0010_fts_update_on_text_change(db: sqlite_utils.Database) -> None:
    """sqlite-utils' update trigger re-indexes a row's texts on every update; a nightly run
    updates every listing's last_seen, which re-indexed all of them. Re-index only when an
    indexed text changed."""
    columns = ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    changed = " or ".join(f'old."{c}" is not new."{c}"' for c in FTS_COLUMNS)
    db.execute("drop trigger if exists courses_au")
    db.execute(
        f"""create trigger courses_au after update of {columns} on courses when {changed} begin
  insert into courses_fts (courses_fts, rowid, {columns}) values('delete', old.rowid, {", ".join(f'old."{c}"' for c in FTS_COLUMNS)});
  insert into courses_fts (rowid, {columns}) values (new.rowid, {", ".join(f'new."{c}"' for c in FTS_COLUMNS)});
end"""
    )


def _m0012_partial_runs(db: sqlite_utils.Database) -> None:
    """Whether a run saw only part of its source (filters, or an incremental run), so a
    complete run is not measured against it; earlier runs said so only in their note."""
    db["crawl_runs"].add_column("partial", int)
    db.execute("update crawl_runs set partial = 1 where note like 'partial crawl%'")


# The planners' default facets (datasette_metadata.yml). Datasette counts each facet over the
# filtered rows; with every default facet column in one index per filter column, a facet page
# filtered by any of them is counted from the index alone instead of reading 300,000 wide rows
# (2.3 s -> 0.37 s for a country-filtered facet page).
DEFAULT_FACETS = ("country", "education_type", "eqf_level", "region")


def _m0013_covering_facet_indexes(db: sqlite_utils.Database) -> None:
    for column in DEFAULT_FACETS:
        db.execute(f"drop index if exists idx_courses_{column}")
        others = [c for c in DEFAULT_FACETS if c != column]
        db["courses"].create_index([column, *others], index_name=f"idx_courses_facets_{column}", if_not_exists=True)


def _m0014_drop_unused_indexes(db: sqlite_utils.Database) -> None:
    """Every index is written on every stored listing. (source) is the first column of the
    unique (source, source_id); the declared and detected title languages are neither default
    facets nor sort orders (the language facet is on title_effective_lang, migration 0011)."""
    for name in ("idx_courses_source", "idx_courses_title_lang", "idx_courses_title_detected_lang"):
        db.execute(f"drop index if exists {name}")


def _m0015_facet_indexes_in_title_order(db: sqlite_utils.Database) -> None:
    """A page filtered by a default facet lists its first rows in title order (the table's
    sort): with the title second in the facet's index they are read in order, where before
    every matching row was sorted (146 ms for a region of 69,000 listings at 300,000). The
    topics come last, so the topics facet of a filtered page is counted from the index too
    instead of from 69,000 wide rows (1.4 s through Datasette's query, see
    aggregator.facets). The other facets still read only the index (a skip-scan)."""
    for column in DEFAULT_FACETS:
        others = [c for c in DEFAULT_FACETS if c != column]
        db.execute(f"drop index if exists idx_courses_facets_{column}")
        db["courses"].create_index([column, "title", *others, "topics"], index_name=f"idx_courses_facets_{column}")


def _m0016_rehash(db: sqlite_utils.Database) -> None:
    """The content hash leaves empty facts out (_hash_content): recompute the stored hashes from
    the stored facts once, so that the change of rule is not taken for a change of every listing."""
    columns = [name for name in CONTENT_FIELDS if name in db["courses"].columns_dict]
    rows = db.execute(f"select rowid, {', '.join(f'[{c}]' for c in columns)} from courses").fetchall()
    db.conn.executemany(
        "update courses set content_hash = ? where rowid = ?",
        [(_hash_content(dict(zip(columns, row[1:], strict=False)), columns), row[0]) for row in rows],
    )


def _m0017_english_coverage(db: sqlite_utils.Database) -> None:
    """How much of each source's current listings has English, and from where: a view per source,
    field and method, and the share of English titles and descriptions in source_health."""
    db.create_view(
        "english_coverage",
        """
        select c.source, 'title' as field, coalesce(c.title_en_method, '(no text)') as method, count(*) as listings,
               round(100.0 * count(*) / (select count(*) from courses a where a.source = c.source and a.removed_at is null), 1) as percent
        from courses c where c.removed_at is null group by c.source, coalesce(c.title_en_method, '(no text)')
        union all
        select c.source, 'description', coalesce(c.description_en_method, '(no text)'), count(*),
               round(100.0 * count(*) / (select count(*) from courses a where a.source = c.source and a.removed_at is null), 1)
        from courses c where c.removed_at is null group by c.source, coalesce(c.description_en_method, '(no text)')
        order by 1, 2, 4 desc""",
        replace=True,
    )
    db.create_view(
        "source_health",
        """
        select s.name as source, s.country, s.last_successful_crawl,
               round((julianday('now') - julianday(s.last_successful_crawl)) * 24, 1) as hours_since_success,
               r.status as last_status, r.finished_at as last_finished, r.note as last_note,
               (select count(*) from courses c where c.source = s.name and c.removed_at is null) as listings,
               (select count(*) from courses c where c.source = s.name and c.removed_at is not null) as removed_listings,
               (select min(c.last_seen) from courses c where c.source = s.name and c.removed_at is null) as oldest_last_seen,
               (select round(100.0 * sum(c.title_en is not null and c.title_en_method != 'pending') / count(*), 1)
                from courses c where c.source = s.name and c.removed_at is null) as english_title_percent,
               (select round(100.0 * sum(c.description_en is not null and c.description_en_method != 'pending') / count(c.description), 1)
                from courses c where c.source = s.name and c.removed_at is null) as english_description_percent
        from sources s left join crawl_runs r on r.id = s.last_run_id
        """,
        replace=True,
    )


def _m0018_held_back_listings(db: sqlite_utils.Database) -> None:
    """Test and placeholder listings of the registers, kept out of courses (pipelines/holdback.py)."""
    db["held_back_listings"].create(
        {
            "id": str,
            "source": str,
            "source_id": str,
            "title": str,
            "provider_name": str,
            "url": str,
            "source_url": str,
            "reason": str,
            "first_seen": str,
            "last_seen": str,
            "last_run_id": int,
        },
        pk="id",
        if_not_exists=True,
    )


def _m0019_course_duplicates(db: sqlite_utils.Database) -> None:
    """Listings of one offering from a second source (DUPLICATE_SOURCES), kept whole beside the
    preferred source's listing: the courses columns and duplicate_of."""
    columns = {name: kind for name, kind in db["courses"].columns_dict.items()}
    db[DUPLICATES_TABLE].create({**columns, "duplicate_of": str}, pk="id", if_not_exists=True)
    db[DUPLICATES_TABLE].create_index(["duplicate_of"], if_not_exists=True)


def _m0020_source_kinds(db: sqlite_utils.Database) -> None:
    """Sources are registers or provider web sites (store.offerings matches the one with the other)."""
    if "kind" not in db["sources"].columns_dict:
        db["sources"].add_column("kind", str)
    db.execute("update sources set kind = 'register' where kind is null")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_initial", _m0001_initial),
    ("0002_fulltext_trigram", _m0002_fulltext),
    ("0003_language_columns", _m0003_languages),
    ("0004_crawl_run_counters", _m0004_run_counters),
    ("0005_source_health_view", _m0005_source_health),
    ("0006_comparable_fields", _m0006_comparable),
    ("0007_topics", _m0007_topics),
    ("0008_drop_country_region", _m0008_drop_country_region),
    ("0009_title_index", lambda db: db["courses"].create_index(["title"])),  # the table's default sort
    ("0010_fts_update_on_text_change", _m0010_fts_update_on_text_change),
    # the language facet on request: without an index it scans every row (300 ms at 300,000)
    (
        "0011_effective_language_index",
        lambda db: db["courses"].create_index(["title_effective_lang"], if_not_exists=True),
    ),
    ("0012_partial_runs", _m0012_partial_runs),
    ("0013_covering_facet_indexes", _m0013_covering_facet_indexes),
    ("0014_drop_unused_indexes", _m0014_drop_unused_indexes),
    ("0015_facet_indexes_in_title_order", _m0015_facet_indexes_in_title_order),
    ("0016_content_hash_without_empty_facts", lambda db: _m0016_rehash(db)),
    ("0017_english_coverage", _m0017_english_coverage),
    ("0018_held_back_listings", _m0018_held_back_listings),
    ("0019_course_duplicates", _m0019_course_duplicates),
    ("0020_source_kinds", _m0020_source_kinds),
]
# sqlite-utils' own migration runner: each step and its record in one transaction, recorded in
# the _sqlite_migrations table under this set's name.
MIGRATION_SET = Migrations("nordic-course-aggregator")
for _name, _step in MIGRATIONS:
    MIGRATION_SET(name=_name)(_step)
# Where the project recorded its migrations before it used sqlite-utils' runner.
LEGACY_MIGRATIONS_TABLE = "_migrations"


class SchemaProblem(RuntimeError):
    """The database's schema is not one this version can work with: refuse rather than guess."""


class SchemaTooNew(SchemaProblem):
    """The database has migrations this version does not know."""


class UnknownColumns(SchemaProblem):
    """The courses table lacks fields of Course and has columns this version does not know (a
    column renamed by hand, or a newer version's): adding the missing ones would hide the data."""


def _carry_over_legacy_record(db: sqlite_utils.Database) -> None:
    """Once, for a database made before sqlite-utils' runner: its ``_migrations`` rows become
    this set's rows in ``_sqlite_migrations`` (same names, same times), so no step runs again."""
    if LEGACY_MIGRATIONS_TABLE not in db.table_names():
        return
    with db.atomic():
        MIGRATION_SET.ensure_migrations_table(db)
        recorded = {m.name for m in MIGRATION_SET.applied(db)}
        legacy = db.execute(
            f"select name, applied_at from [{LEGACY_MIGRATIONS_TABLE}] order by applied_at, rowid"
        ).fetchall()
        db[Migrations.migrations_table].insert_all(
            {"migration_set": MIGRATION_SET.name, "name": name, "applied_at": applied_at}
            for name, applied_at in legacy
            if name not in recorded
        )
        db[LEGACY_MIGRATIONS_TABLE].drop()


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; returns their names. A database that records
    migrations this version does not know is refused (SchemaTooNew)."""
    _carry_over_legacy_record(db)
    known = {name for name, _ in MIGRATIONS}
    unknown = [m.name for m in MIGRATION_SET.applied(db) if m.name not in known]
    if unknown:
        raise SchemaTooNew(
            f"the database was written by a newer version of this project (migration {unknown[-1]}, "
            f"this version knows up to {MIGRATIONS[-1][0]}); upgrade the installation before using it"
        )
    pending = [m.name for m in MIGRATION_SET.pending(db)]
    MIGRATION_SET.apply(db)
    add_course_columns(db)
    return pending


# Sources that describe the same offerings as a preferred one, with the same ids: Planned
# Educations publishes Susa-navet's adult-education events under their Susa-navet event ids. One
# offering is one listing: the preferred source's row is the listing in courses; the other
# source's row is kept whole in course_duplicates, with duplicate_of naming the listing.
DUPLICATE_SOURCES = {"plannededucations_se": "susanavet_se"}
DUPLICATES_TABLE = "course_duplicates"


# the store's own columns beside the Course fields
BOOKKEEPING_COLUMNS = ("content_hash", "first_seen", "last_seen", "removed_at", "last_run_id")


def add_course_columns(db: sqlite_utils.Database) -> list[str]:
    """Columns for the Course fields the courses table lacks (COURSE_COLUMN_TYPES): a new field
    needs no migration of its own, only its description in datasette_metadata.yml (a test
    checks). Returns the columns added."""
    if not db["courses"].exists():
        return []
    have = db["courses"].columns_dict
    missing = [name for name in COURSE_COLUMN_TYPES if name not in have]
    unknown = [name for name in have if name not in COURSE_COLUMN_TYPES and name not in BOOKKEEPING_COLUMNS]
    if missing and unknown:
        raise UnknownColumns(
            f"the courses table lacks the column(s) {', '.join(missing)} and has {', '.join(unknown)}, "
            "which this version does not know: was a column renamed by hand? Rename it back, or restore a backup"
        )
    for name in missing:
        db["courses"].add_column(name, COURSE_COLUMN_TYPES[name])
    if db[DUPLICATES_TABLE].exists():
        kept = db[DUPLICATES_TABLE].columns_dict
        for name, kind in COURSE_COLUMN_TYPES.items():
            if name not in kept:
                db[DUPLICATES_TABLE].add_column(name, kind)
    return missing


def open_db(path: str | os.PathLike[str] | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database at ``path``. Indexes a bulk load left
    dropped are made again at a job's start (aggregator.nightly.open_job_db), not here."""
    path = resolve_db_path(path)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 60000")
    db.enable_wal()
    migrate(db)
    return db


def write_lock(db_path: str | os.PathLike[str]):
    """The lock the process that writes a crawl's listings holds for as long as it writes (the
    spider's process, not the job that started it): a second crawl cannot write beside one that
    outlived its job, and a job can tell that one is still writing."""
    from filelock import FileLock

    return FileLock(f"{db_path}.write.lock", timeout=0)


def beside_db(db_path: str | os.PathLike[str], name: str) -> Path:
    """A folder next to the database (exports/, logs/), wherever the job was started from."""
    return Path(db_path).resolve().parent / name


def _read_existing(path: str | None, sql: str, params: list[Any]) -> list[tuple]:
    """Rows of a query on the database at ``path``; none when it does not exist yet."""
    path = resolve_db_path(path)
    if not Path(path).exists():
        return []
    db = open_db(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def last_successful_crawl(path: str | None, source: str) -> str | None:
    """The Swedish local date of the source's last clean crawl, a day early (the change feeds
    take local dates; a day's overlap costs a few re-read listings, a gap would lose some);
    None when there was none."""
    rows = _read_existing(path, "select last_successful_crawl from sources where name = ?", [source])
    if not rows or not rows[0][0]:
        return None
    from zoneinfo import ZoneInfo

    stamp = datetime.fromisoformat(rows[0][0].replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (stamp.astimezone(ZoneInfo("Europe/Stockholm")).date() - timedelta(days=1)).isoformat()


def known_modified(path: str | None, source: str) -> dict[str, str]:
    """source_id -> source_modified_at of the source's current (not removed) listings."""
    return dict(
        _read_existing(
            path,
            "select source_id, source_modified_at from courses "
            "where source = ? and removed_at is null and source_modified_at is not null",
            [source],
        )
    )


# --- writing courses -----------------------------------------------------------------------
# Built once: json.dumps with options builds a new encoder on every call (a hot spot at one
# call per JSON field per listing).
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_to_hashed_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


def _encode(name: str, value: Any) -> Any:
    if name in JSON_FIELDS:
        return _to_json(value) if value else None
    if name in BOOL_FIELDS and value is not None:
        return int(bool(value))
    return value


def _hash_content(encoded: dict[str, Any], names: Iterable[str] = CONTENT_FIELDS) -> str:
    # empty facts are left out, so that a field added to Course (empty on every listing until a
    # source fills it) changes no listing's hash: only listings that gain a value are "changed"
    content = {name: encoded[name] for name in names if encoded.get(name) is not None}
    return hashlib.sha1(_to_hashed_json(content).encode("utf-8")).hexdigest()


def content_hash(course: Course) -> str:
    """Hash of the listing's source facts (the content fields, encoded as stored)."""
    return _hash_content({name: _encode(name, getattr(course, name)) for name in CONTENT_FIELDS})


def course_row(course: Course) -> dict[str, Any]:
    """The ``courses`` columns of one item (bookkeeping columns excluded)."""
    # a shallow read of the fields: dataclasses.asdict deep-copies every value, a hot spot
    row = {name: _encode(name, getattr(course, name)) for name in STORED_FIELDS if name != "topics"}
    row["topics"] = _encode("topics", sorted(t["topic"] for t in course.topics))
    row["content_hash"] = _hash_content(row)  # the content fields are already encoded here
    return row


# --- deferring index maintenance during a bulk load -------------------------------------------
DEFERRED_INDEXES_TABLE = "_deferred_indexes"


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


def update_current(db: sqlite_utils.Database, ids: list[str], run_id: int, **values: Any) -> int:
    """Mark the listed courses not already removed as touched by ``run_id``, setting ``values``
    on them too; returns how many there were."""
    assignments = "".join(f"[{column}] = ?, " for column in values)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cursor = db.execute(
            f"update courses set {assignments}last_run_id = ? where id in ({','.join('?' * len(chunk))}) and removed_at is null",
            [*values.values(), run_id, *chunk],
        )
        changed += cursor.rowcount
    return changed


class CourseStore:
    """Writes one source's items for one crawl run; counts new/changed/unchanged/removed.

    A bulk load (more than ``defer_indexes_after`` new listings, and more than the table held
    when the run started) drops the secondary indexes of courses for the rest of the run, and
    ``finish`` makes them again: at 300,000 listings, maintaining 11 indexes row by row took
    about 35 s of the load, building them once at the end 6 s. Call ``finish`` when the run
    ends; ``open_db`` makes any indexes a crashed run left dropped.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        source: str,
        run_id: int,
        defer_indexes_after: int = DEFAULT_DEFER_INDEXES_AFTER,
        kind: str = "register",
    ) -> None:
        self.db = db
        self.source = source
        self.kind = kind  # "register" or "provider_site" (store.offerings: a site's listing of a register's offering)
        self.run_id = run_id
        self.counts = {
            "new": 0,
            "changed": 0,
            "unchanged": 0,
            "restored": 0,
            "removed": 0,
            "kept": 0,
            "merged_duplicates": 0,
            # kept apart from courses: another source's listing of the same offering
            # (duplicates; moved out when the preferred source lists it: duplicates_absorbed),
            # test and placeholder entries (held_back; moved out: held_back_removed)
            "duplicates": 0,
            "duplicates_absorbed": 0,
            "held_back": 0,
            "held_back_removed": 0,
        }
        # Deletion records seen during the run: applied by ``finish_run`` only when the run is
        # judged clean, like the removal of unseen listings (a run that fails changes nothing).
        self.staged_removals: set[str] = set()
        # ids this run has written, seen or kept: each listing is counted once per run
        self.written: set[str] = set()
        self.column_order = list(db["courses"].columns_dict)
        self.columns = set(self.column_order)
        self.defer_indexes_at = max(defer_indexes_after, db["courses"].count + 1)
        self.deferred_indexes: list[str] = []

    def finish(self) -> list[str]:
        """End of the run: make the indexes a bulk load dropped (returns their names); for a
        register, provider sites' listings of the offerings it lists leave courses for
        course_duplicates (``store.offerings``)."""
        rebuilt: list[str] = []
        if self.deferred_indexes:
            self.deferred_indexes = []
            rebuilt = restore_deferred_indexes(self.db)
        if self.kind == "register":
            matches = site_listings_matching(self.db)
            if matches:
                with self.db.atomic():
                    rows = list(
                        self.db.query(
                            f"select * from courses where id in ({','.join('?' * len(matches))})", list(matches)
                        )
                    )
                    self._absorb(rows, matches)
        return rebuilt

    def write(self, courses: Iterable[Course], seen_ids: Iterable[str] = (), kept_ids: Iterable[str] = ()) -> None:
        """Upsert a batch in one transaction. The same listing twice in one batch is merged (the
        last one wins, counted in ``merged_duplicates``): a second row would break the batch's
        unique keys. Deletion records are staged, not applied (see ``staged_removals``);
        ``kept_ids`` are source ids whose stored listing stays as it is."""
        stamp = now_iso()
        latest: dict[str, Course] = {}
        for c in courses:
            if c.id in latest or c.id in self.written:
                self.counts["merged_duplicates"] += 1
                latest.pop(c.id, None)  # re-inserted below: the batch keeps the order of last sight
            latest[c.id] = c
        live = [c for c in latest.values() if not c.removed]
        self.staged_removals.update(c.id for c in latest.values() if c.removed and c.id)
        self.staged_removals.difference_update(c.id for c in live)
        rows = [course_row(c) for c in live]
        # a listing counts once per run: seen again after it was written, it is a duplicate
        repeats = {c.id for c in live} & self.written
        seen, kept = [], []
        for ids, out in ((seen_ids, seen), (kept_ids, kept)):
            for source_id in ids:
                key = course_id(self.source, source_id)
                if key in latest or key in self.written:
                    self.counts["merged_duplicates"] += 1
                else:
                    self.written.add(key)
                    out.append(key)
        with self.db.atomic():
            rows, duplicates = self._split_duplicates(rows)
            if (
                self.source in DUPLICATE_SOURCES or self.kind == "provider_site"
            ) and rows:  # listed here again: no longer a duplicate
                for start in range(0, len(rows), 500):
                    chunk = [r["id"] for r in rows[start : start + 500]]
                    self.db.execute(
                        f"delete from [{DUPLICATES_TABLE}] where id in ({','.join('?' * len(chunk))})", chunk
                    )
            self._upsert(rows, stamp, repeats)
            self._topics([c for c in live if c.id not in duplicates])
            self._touch(seen, stamp)
            self._keep_duplicates(duplicates, stamp)
            self._absorb_duplicates([c.source_id for c in live], stamp)
            self.counts["kept"] += update_current(self.db, kept, self.run_id)
        self.written.update(latest)
        if not self.deferred_indexes and self.counts["new"] >= self.defer_indexes_at:
            self.deferred_indexes = defer_course_indexes(self.db)

    def _split_duplicates(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """This source's rows that a current listing of its preferred source already describes
        (DUPLICATE_SOURCES; for a provider site, any register: ``store.offerings``), by id, with
        ``duplicate_of`` set, apart from the others."""
        if self.kind == "provider_site" and rows:
            matches = register_matches(self.db, rows)
            duplicates = {r["id"]: {**r, "duplicate_of": matches[r["id"]]} for r in rows if r["id"] in matches}
            return [r for r in rows if r["id"] not in duplicates], duplicates
        preferred = DUPLICATE_SOURCES.get(self.source)
        if not preferred or not rows:
            return rows, {}
        listed: dict[str, str] = {}
        source_ids = [r["source_id"] for r in rows]
        for start in range(0, len(source_ids), 500):
            chunk = source_ids[start : start + 500]
            listed.update(
                self.db.execute(
                    f"select source_id, id from courses where source = ? and removed_at is null and source_id in ({','.join('?' * len(chunk))})",
                    [preferred, *chunk],
                ).fetchall()
            )
        duplicates = {r["id"]: {**r, "duplicate_of": listed[r["source_id"]]} for r in rows if r["source_id"] in listed}
        return [r for r in rows if r["id"] not in duplicates], duplicates

    def _keep_duplicates(self, duplicates: dict[str, dict[str, Any]], stamp: str) -> None:
        """This source's rows of offerings its preferred source lists: kept whole in
        course_duplicates, out of courses (a row that was the listing until the preferred source
        listed it leaves courses now)."""
        if not duplicates:
            return
        ids = list(duplicates)
        marks = ",".join("?" * len(ids))
        known = dict(
            self.db.execute(f"select id, first_seen from [{DUPLICATES_TABLE}] where id in ({marks})", ids).fetchall()
        )
        known.update(self.db.execute(f"select id, first_seen from courses where id in ({marks})", ids).fetchall())
        for key, row in duplicates.items():
            row.update(first_seen=known.get(key) or stamp, last_seen=stamp, removed_at=None, last_run_id=self.run_id)
        self.db[DUPLICATES_TABLE].upsert_all(duplicates.values(), pk="id", alter=True)
        self._out_of_courses(ids)
        self.written.update(ids)
        self.counts["duplicates"] += len(ids)

    def _out_of_courses(self, ids: list[str]) -> int:
        """Take listings out of courses with their topic tags (the full-text index follows by
        trigger); returns how many were there."""
        marks = ",".join("?" * len(ids))
        self.db.execute(f"delete from course_topics where course_id in ({marks})", ids)
        return max(self.db.execute(f"delete from courses where id in ({marks})", ids).rowcount, 0)

    def _absorb_duplicates(self, source_ids: list[str], stamp: str) -> None:
        """For a preferred source: the other sources' listings of the same offerings (same ids)
        leave courses for course_duplicates, naming this source's listing."""
        others = [other for other, preferred in DUPLICATE_SOURCES.items() if preferred == self.source]
        if not others or not source_ids:
            return
        for other in others:
            for start in range(0, len(source_ids), 500):
                chunk = source_ids[start : start + 500]
                rows = list(
                    self.db.query(
                        f"select * from courses where source = ? and source_id in ({','.join('?' * len(chunk))})",
                        [other, *chunk],
                    )
                )
                self._absorb(rows, {r["id"]: course_id(self.source, r["source_id"]) for r in rows})

    def _absorb(self, rows: list[dict[str, Any]], duplicate_of: dict[str, str]) -> None:
        """Other sources' rows of courses (whole) that this source's listings describe: into
        course_duplicates with ``duplicate_of`` (id -> this source's listing), out of courses."""
        if not rows:
            return
        for row in rows:
            row["duplicate_of"] = duplicate_of[row["id"]]
        self.db[DUPLICATES_TABLE].upsert_all(rows, pk="id", alter=True)
        self.counts["duplicates_absorbed"] += self._out_of_courses([r["id"] for r in rows])

    def hold_back(self, items: Iterable[HeldBack]) -> None:
        """Record test and placeholder listings in ``held_back_listings`` (with the reason, first
        and last seen) instead of ``courses``; one that an earlier run stored as a listing leaves
        the courses table (counted ``held_back_removed``)."""
        stamp = now_iso()
        rows = {}
        for item in items:
            key = course_id(self.source, item.source_id)
            self.written.add(key)
            rows[key] = {
                "id": key,
                "source": self.source,
                "source_id": item.source_id,
                "title": item.title,
                "provider_name": item.provider_name,
                "url": item.url,
                "source_url": item.source_url,
                "reason": item.reason,
                "first_seen": stamp,
                "last_seen": stamp,
                "last_run_id": self.run_id,
            }
        if not rows:
            return
        with self.db.atomic():
            known = {
                r["id"]: r["first_seen"]
                for r in self.db.query(
                    f"select id, first_seen from held_back_listings where id in ({','.join('?' * len(rows))})",
                    list(rows),
                )
            }
            for key, row in rows.items():
                row["first_seen"] = known.get(key, stamp)
            self.db["held_back_listings"].upsert_all(rows.values(), pk="id")
            removed = self._out_of_courses(list(rows))
        self.counts["held_back"] += len(rows)
        self.counts["held_back_removed"] += removed

    def _existing(self, ids: list[str], columns: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"select {columns} from courses where id in ({marks})", chunk):
                found[row["id"]] = row
        return found

    def _upsert(self, rows: list[dict[str, Any]], stamp: str, repeats: set[str] = frozenset()) -> None:
        if not rows:
            return
        existing = self._existing([r["id"] for r in rows], "*")
        writes, changes = [], []
        uncounted = dict.fromkeys(self.counts, 0)  # where a listing written earlier in this run is counted
        for row in rows:
            old = existing.get(row["id"])
            tally = uncounted if row["id"] in repeats else self.counts
            row["last_seen"] = stamp
            row["removed_at"] = None
            row["last_run_id"] = self.run_id
            if old is None:
                row["first_seen"] = stamp
                tally["new"] += 1
            else:
                row["first_seen"] = old["first_seen"]
                if old["removed_at"] is not None:
                    tally["restored"] += 1
                if old["content_hash"] == row["content_hash"]:
                    if old["removed_at"] is None:
                        tally["unchanged"] += 1
                    # Unchanged source facts: no change record, but what the pipelines derived
                    # (languages, English) is refreshed, unless it would replace English with
                    # "pending" (a crawl without a model after a backfill with one).
                    derived = {k: row[k] for k in DERIVED_FIELDS if k in self.columns}
                    for field in ("title", "description"):
                        if row.get(f"{field}_en_method") == "pending" and old.get(f"{field}_en_method") not in (
                            None,
                            "pending",
                        ):
                            for suffix in ("_en", "_en_method", "_en_model"):
                                derived.pop(field + suffix, None)
                    assignments = ", ".join(f"[{k}] = ?" for k in derived)
                    self.db.execute(
                        f"update courses set last_seen = ?, removed_at = null, last_run_id = ?, fetched_at = ?, {assignments} where id = ?",
                        [stamp, self.run_id, row["fetched_at"], *derived.values(), row["id"]],
                    )
                    continue
                tally["changed"] += 1
                for name in CONTENT_FIELDS:
                    if name in old and old[name] != row[name] and name != "source_modified_at":
                        changes.append(
                            {
                                "course_id": row["id"],
                                "run_id": self.run_id,
                                "changed_at": stamp,
                                "field": name,
                                "old_value": None if old[name] is None else str(old[name]),
                                "new_value": None if row[name] is None else str(row[name]),
                            }
                        )
            writes.append({k: v for k, v in row.items() if k in self.columns})
        if writes:
            self._write_rows(writes)
        if changes:
            self.db["course_changes"].insert_all(changes)
        self._providers(rows, stamp)

    def _write_rows(self, writes: list[dict[str, Any]]) -> None:
        """Insert or replace whole rows of a batch with one statement.

        The values are already encoded, so sqlite-utils' per-value conversion and query
        building are not needed. The rows go first into a temporary table (no triggers), then
        into courses with a single ``insert … select``: FTS5 writes its pending index data to
        disk at every statement that touches it, so a statement per row (``executemany``)
        left one tiny index segment per listing to be merged again and again — three times
        the cost of indexing the same rows in one statement."""
        columns = [c for c in self.column_order if c in writes[0]]
        if any(len(w) != len(columns) for w in writes):
            self.db["courses"].upsert_all(writes, pk="id", alter=False)  # rows of differing shapes
            return
        names = ", ".join(f"[{c}]" for c in columns)
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id")
        self.db.execute("drop table if exists temp.course_batch")
        self.db.execute(f"create temp table course_batch as select {names} from courses where 0")
        self.db.conn.executemany(
            f"insert into temp.course_batch ({names}) values ({', '.join('?' * len(columns))})",
            [[w[c] for c in columns] for w in writes],
        )
        # "where true": SQLite's documented way to parse an upsert whose source is a SELECT.
        self.db.execute(
            f"insert into courses ({names}) select {names} from temp.course_batch where true"
            f" on conflict(id) do update set {updates}"
        )
        self.db.execute("drop table temp.course_batch")

    def _providers(self, rows: list[dict[str, Any]], stamp: str) -> None:
        providers = {}
        for row in rows:
            key = provider_key(self.source, row.get("provider_id"), row.get("provider_name"))
            if key:
                providers[key] = {
                    "id": key,
                    "source": self.source,
                    "source_provider_id": row.get("provider_id"),
                    "name": row.get("provider_name"),
                    "country": row.get("country"),
                    "last_seen": stamp,
                }
        if not providers:
            return
        known = {
            r["id"]
            for r in self.db.query(
                f"select id from providers where id in ({','.join('?' * len(providers))})",
                list(providers),
            )
        }
        for key, provider in providers.items():
            if key not in known:
                provider["first_seen"] = stamp
        self.db["providers"].upsert_all(list(providers.values()), pk="id")

    def _topics(self, courses: list[Course]) -> None:
        """The topic tags of these listings, replacing what an earlier run tagged."""
        if not courses or "course_topics" not in self.db.table_names():
            return
        ids = [c.id for c in courses]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self.db.execute(f"delete from course_topics where course_id in ({','.join('?' * len(chunk))})", chunk)
        rows = {
            # one row per listing and topic: a topic named twice keeps its last evidence
            (c.id, t["topic"]): {
                "course_id": c.id,
                "topic": t["topic"],
                "label": t.get("label"),
                "matched_terms": json.dumps(t["terms"], ensure_ascii=False),
                "matched_fields": json.dumps(t["fields"]),
            }
            for c in courses
            for t in c.topics
        }
        if rows:
            self.db["course_topics"].insert_all(rows.values())

    def _touch(self, ids: list[str], stamp: str) -> None:
        self.counts["unchanged"] += update_current(self.db, ids, self.run_id, last_seen=stamp)
