"""The schema of the database: its migrations in sqlite-utils' decorator style, ``migrate``, and
``add_course_columns``, which gives every field of the listing (``store.listing``) its column.

Each migration keeps the name and effect it was released with: a database records the names it
has applied (``_sqlite_migrations``) and only the others run. A change of schema is a new
migration at the end; a new field of the listing needs none (``add_course_columns``).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from store.listing import CONTENT_FIELDS, COURSE_COLUMN_TYPES
from store.rows import hash_content

# sqlite-utils' own migration runner: each step and its record in one transaction, recorded in
# the _sqlite_migrations table under this set's name.
MIGRATION_SET = Migrations("nordic-course-aggregator")
MIGRATION_NAMES: list[str] = []  # in the order they run
# Where the project recorded its migrations before it used sqlite-utils' runner.
LEGACY_MIGRATIONS_TABLE = "_migrations"
# Listings of an offering another source lists too (store.offerings), kept whole beside it.
DUPLICATES_TABLE = "course_duplicates"
# the store's own columns of courses beside the fields of the listing
BOOKKEEPING_COLUMNS = ("content_hash", "first_seen", "last_seen", "removed_at", "last_run_id")
FACET_COLUMNS = tuple(
    "source country education_type title_lang municipality region eqf_level provider_name removed_at start_date".split()
)


def migration(name: str):
    """Register the decorated function as the migration ``name``, run after the ones above it."""
    MIGRATION_NAMES.append(name)
    return MIGRATION_SET(name=name)


def _columns(spec: str) -> dict[str, type]:
    """ "name name:integer name:real ..." -> sqlite-utils columns in that order (text unless said)."""
    kinds = {"text": str, "integer": int, "real": float}
    return {name: kinds[kind or "text"] for name, _, kind in (word.partition(":") for word in spec.split())}


# The tables as the first release made them; later migrations change them.
_INITIAL_TABLES = {
    "courses": """id source source_id source_url url country fetched_at source_modified_at content_hash
        title title_lang title_i18n title_en title_en_method title_en_model description description_lang
        description_i18n description_en description_en_method description_en_model copied_variants
        provider_id provider_name institution_id institution_name municipality_code municipality region
        country_region mode education_type education_type_source eqf_level:integer level_source
        credits:real credit_unit ects:real instruction_languages study_forms teaching_times pace_percent:integer
        start_date end_date start_term rolling_admission:integer application_start application_end
        application_code fee_type fee_amount:real cancelled:integer extras first_seen last_seen removed_at
        last_run_id:integer""",
    "providers": "id source source_provider_id name country first_seen last_seen",
    "sources": """name country title url licence licence_url api_base_url last_run_id:integer
        last_successful_run_id:integer last_successful_crawl""",
    "crawl_runs": """id:integer source started_at finished_at status finish_reason items:integer new:integer
        changed:integer unchanged:integer restored:integer removed:integer dropped:integer errors:integer
        http_errors:integer not_found:integer missing_fields invalid_fields error_counts note""",
    "course_changes": "id:integer course_id run_id:integer changed_at field old_value new_value",
    "translations": "source_lang target_lang model text_hash source_text translated_text created_at",
}


@migration("0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    tables = {name: _columns(spec) for name, spec in _INITIAL_TABLES.items()}
    db["courses"].create(tables["courses"], pk="id", not_null={"source", "source_id"})
    db["courses"].create_index(["source", "source_id"], unique=True)
    for column in FACET_COLUMNS:
        db["courses"].create_index([column])
    db["providers"].create(tables["providers"], pk="id")
    db["sources"].create(tables["sources"], pk="name")
    db["crawl_runs"].create(tables["crawl_runs"], pk="id", foreign_keys=[("source", "sources", "name")])
    db["crawl_runs"].create_index(["source", "started_at"])
    db["course_changes"].create(
        tables["course_changes"],
        pk="id",
        foreign_keys=[("course_id", "courses", "id"), ("run_id", "crawl_runs", "id")],
    )
    db["course_changes"].create_index(["course_id"])
    db["course_changes"].create_index(["run_id"])
    db["translations"].create(tables["translations"], pk=("source_lang", "target_lang", "model", "text_hash"))


# the listings' texts, indexed since 0002; 0022 adds the topics (their English ids) to the search
TEXT_FTS_COLUMNS = ("title", "title_en", "description", "description_en", "provider_name")
FTS_COLUMNS = (*TEXT_FTS_COLUMNS, "topics")


@migration("0002_fulltext_trigram")
def _m0002_fulltext(db: sqlite_utils.Database) -> None:
    # The trigram tokenizer matches inside words: "batteri" in "batteriteknik", "hitsau" in
    # "hitsauksen". Plain unicode61 matches whole tokens only and misses both.
    db["courses"].enable_fts(
        list(TEXT_FTS_COLUMNS),
        tokenize="trigram",
        create_triggers=True,
    )


@migration("0003_language_columns")
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


@migration("0004_crawl_run_counters")
def _m0004_run_counters(db: sqlite_utils.Database) -> None:
    db["crawl_runs"].add_column("counters", str)


@migration("0005_source_health_view")
def _m0005_source_health(db: sqlite_utils.Database) -> None:
    db.create_view(
        "source_health",
        """
        select s.name as source, s.country, s.last_successful_crawl,
               round((julianday('now') - julianday(s.last_successful_crawl)) * 24, 1) as hours_since_success,
               r.status as last_status, r.finished_at as last_finished, r.note as last_note,
               (select count(*) from courses c where c.source = s.name and c.removed_at is null) as listings,
               (select count(*) from courses c where c.source = s.name and c.removed_at is not null) as
                   removed_listings,
               (select min(c.last_seen) from courses c where c.source = s.name and c.removed_at is null) as
                   oldest_last_seen
        from sources s left join crawl_runs r on r.id = s.last_run_id
        """,
    )


@migration("0006_comparable_fields")
def _m0006_comparable(db: sqlite_utils.Database) -> None:
    courses = db["courses"]
    courses.add_column("eqf_method", str)
    courses.add_column("nqf_level", int)
    courses.add_column("ects_estimated", int)
    courses.add_column("ects_method", str)
    courses.add_column("region_code", str)
    courses.add_column("nuts3", str)
    courses.create_index(["nuts3"])


@migration("0007_topics")
def _m0007_topics(db: sqlite_utils.Database) -> None:
    db["courses"].add_column("topics", str)
    db["course_topics"].create(
        {"course_id": str, "topic": str, "label": str, "matched_terms": str, "matched_fields": str},
        pk=("course_id", "topic"),
        foreign_keys=[("course_id", "courses", "id")],
    )
    db["course_topics"].create_index(["topic"])


# What a person browsing the table wants to see first; the rest follows in its old order.
READING_ORDER = tuple(
    "id title title_en provider_name municipality region country education_type eqf_level credits credit_unit ects "
    "start_date start_term instruction_languages topics url".split()
)


@migration("0008_drop_country_region")
def _m0008_drop_country_region(db: sqlite_utils.Database) -> None:
    # country_region was never filled (region_code and nuts3 of 0006 carry it), and the
    # columns a reader needs first come first. Rebuilding the table drops the full-text
    # triggers with it, so they are made again and the index rebuilt.
    db["courses"].disable_fts()
    db["courses"].transform(drop={"country_region"}, column_order=READING_ORDER)
    _m0002_fulltext(db)
    db["courses"].rebuild_fts()


@migration("0009_title_index")
def _m0009_title_index(db: sqlite_utils.Database) -> None:
    db["courses"].create_index(["title"])  # the table's default sort


@migration("0010_fts_update_on_text_change")
def _m0010_fts_update_on_text_change(db: sqlite_utils.Database) -> None:
    """sqlite-utils' update trigger re-indexes a row's texts on every update; a nightly run
    updates every listing's last_seen, which re-indexed all of them. Re-index only when an
    indexed text changed."""
    _fts_update_trigger(db, TEXT_FTS_COLUMNS)


def _fts_update_trigger(db: sqlite_utils.Database, indexed: tuple[str, ...]) -> None:
    columns = ", ".join(f'"{c}"' for c in indexed)
    changed = " or ".join(f'old."{c}" is not new."{c}"' for c in indexed)
    db.execute("drop trigger if exists courses_au")
    db.execute(
        f"""create trigger courses_au after update of {columns} on courses when {changed} begin
  insert into courses_fts (courses_fts, rowid, {columns})
      values('delete', old.rowid, {", ".join(f'old."{c}"' for c in indexed)});
  insert into courses_fts (rowid, {columns}) values (new.rowid, {", ".join(f'new."{c}"' for c in indexed)});
end"""
    )


@migration("0011_effective_language_index")
def _m0011_effective_language_index(db: sqlite_utils.Database) -> None:
    # the language facet on request: without an index it scans every row (300 ms at 300,000)
    db["courses"].create_index(["title_effective_lang"], if_not_exists=True)


@migration("0012_partial_runs")
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


@migration("0013_covering_facet_indexes")
def _m0013_covering_facet_indexes(db: sqlite_utils.Database) -> None:
    for column in DEFAULT_FACETS:
        db.execute(f"drop index if exists idx_courses_{column}")
        others = [c for c in DEFAULT_FACETS if c != column]
        db["courses"].create_index([column, *others], index_name=f"idx_courses_facets_{column}", if_not_exists=True)


@migration("0014_drop_unused_indexes")
def _m0014_drop_unused_indexes(db: sqlite_utils.Database) -> None:
    """Every index is written on every stored listing. (source) is the first column of the
    unique (source, source_id); the declared and detected title languages are neither default
    facets nor sort orders (the language facet is on title_effective_lang, migration 0011)."""
    for name in ("idx_courses_source", "idx_courses_title_lang", "idx_courses_title_detected_lang"):
        db.execute(f"drop index if exists {name}")


@migration("0015_facet_indexes_in_title_order")
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


@migration("0016_content_hash_without_empty_facts")
def _m0016_rehash(db: sqlite_utils.Database) -> None:
    """The content hash leaves empty facts out (store.rows.hash_content): recompute the stored hashes from
    the stored facts once, so that the change of rule is not taken for a change of every listing."""
    columns = [name for name in CONTENT_FIELDS if name in db["courses"].columns_dict]
    rows = db.execute(f"select rowid, {', '.join(f'[{c}]' for c in columns)} from courses").fetchall()
    db.conn.executemany(
        "update courses set content_hash = ? where rowid = ?",
        [(hash_content(dict(zip(columns, row[1:], strict=False)), columns), row[0]) for row in rows],
    )


@migration("0017_english_coverage")
def _m0017_english_coverage(db: sqlite_utils.Database) -> None:
    """How much of each source's current listings has English, and from where: a view per source,
    field and method, and the share of English titles and descriptions in source_health."""
    db.create_view(
        "english_coverage",
        """
        select c.source, 'title' as field, coalesce(c.title_en_method, '(no text)') as method, count(*) as listings,
               round(100.0 * count(*) / (select count(*) from courses a where a.source = c.source and a.removed_at is
                   null), 1) as percent
        from courses c where c.removed_at is null group by c.source, coalesce(c.title_en_method, '(no text)')
        union all
        select c.source, 'description', coalesce(c.description_en_method, '(no text)'), count(*),
               round(100.0 * count(*) / (select count(*) from courses a where a.source = c.source and a.removed_at is
                   null), 1)
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
               (select count(*) from courses c where c.source = s.name and c.removed_at is not null) as
                   removed_listings,
               (select min(c.last_seen) from courses c where c.source = s.name and c.removed_at is null) as
                   oldest_last_seen,
               (select round(100.0 * sum(c.title_en is not null and c.title_en_method != 'pending') / count(*), 1)
                from courses c where c.source = s.name and c.removed_at is null) as english_title_percent,
               (select round(100.0 * sum(c.description_en is not null and c.description_en_method != 'pending') /
                   count(c.description), 1)
                from courses c where c.source = s.name and c.removed_at is null) as english_description_percent
        from sources s left join crawl_runs r on r.id = s.last_run_id
        """,
        replace=True,
    )


@migration("0018_held_back_listings")
def _m0018_held_back_listings(db: sqlite_utils.Database) -> None:
    """Test and placeholder listings of the registers, kept out of courses (pipelines/holdback.py)."""
    text = "id source source_id title provider_name url source_url reason first_seen last_seen".split()
    db["held_back_listings"].create({**dict.fromkeys(text, str), "last_run_id": int}, pk="id", if_not_exists=True)


@migration("0019_course_duplicates")
def _m0019_course_duplicates(db: sqlite_utils.Database) -> None:
    """Listings of one offering from a second source (a source's preferred_source), kept whole beside the
    preferred source's listing: the courses columns and duplicate_of."""
    columns = {name: kind for name, kind in db["courses"].columns_dict.items()}
    db[DUPLICATES_TABLE].create({**columns, "duplicate_of": str}, pk="id", if_not_exists=True)
    db[DUPLICATES_TABLE].create_index(["duplicate_of"], if_not_exists=True)


@migration("0020_source_kinds")
def _m0020_source_kinds(db: sqlite_utils.Database) -> None:
    """Sources are registers or provider web sites (store.offerings matches the one with the other)."""
    if "kind" not in db["sources"].columns_dict:
        db["sources"].add_column("kind", str)
    db.execute("update sources set kind = 'register' where kind is null")


@migration("0021_preferred_sources")
def _m0021_preferred_sources(db: sqlite_utils.Database) -> None:
    """A source that lists another's offerings under the same ids names that source, its
    preferred one (the spider's ``preferred_source``): store.offerings keeps one listing each."""
    if "preferred_source" not in db["sources"].columns_dict:
        db["sources"].add_column("preferred_source", str)


@migration("0022_search_topics")
def _m0022_search_topics(db: sqlite_utils.Database) -> None:
    """The search covers each listing's topics too: their ids are English names
    ("welding_mechanical", "batteries_energy_storage"), so "welding" finds the listings tagged
    with that topic whatever language their own texts are in (the trigram tokenizer matches inside
    the ids). The full-text table is made again with the column and re-indexed once."""
    # 0010's update trigger is not one sqlite-utils recognises as its own: dropped by name
    db.execute("drop trigger if exists courses_au")
    db["courses"].disable_fts()
    db["courses"].enable_fts(list(FTS_COLUMNS), tokenize="trigram", create_triggers=True)
    db["courses"].rebuild_fts()
    _fts_update_trigger(db, FTS_COLUMNS)


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
    known = set(MIGRATION_NAMES)
    unknown = [m.name for m in MIGRATION_SET.applied(db) if m.name not in known]
    if unknown:
        raise SchemaTooNew(
            f"the database was written by a newer version of this project (migration {unknown[-1]}, "
            f"this version knows up to {MIGRATION_NAMES[-1]}); upgrade the installation before using it"
        )
    pending = [m.name for m in MIGRATION_SET.pending(db)]
    MIGRATION_SET.apply(db)
    add_course_columns(db)
    return pending


def add_course_columns(db: sqlite_utils.Database, column_types: dict[str, type] = COURSE_COLUMN_TYPES) -> list[str]:
    """Columns for the fields of the listing the courses table lacks (``column_types``, by
    default Course's): a new field needs no migration of its own, only its description in
    datasette_metadata.yml (a test checks). Returns the columns added."""
    if not db["courses"].exists():
        return []
    have = db["courses"].columns_dict
    missing = [name for name in column_types if name not in have]
    unknown = [name for name in have if name not in column_types and name not in BOOKKEEPING_COLUMNS]
    if missing and unknown:
        raise UnknownColumns(
            f"the courses table lacks the column(s) {', '.join(missing)} and has {', '.join(unknown)}, "
            "which this version does not know: was a column renamed by hand? Rename it back, or restore a backup"
        )
    for name in missing:
        db["courses"].add_column(name, column_types[name])
    if db[DUPLICATES_TABLE].exists():
        kept = db[DUPLICATES_TABLE].columns_dict
        for name, kind in column_types.items():
            if name not in kept:
                db[DUPLICATES_TABLE].add_column(name, kind)
    return missing
