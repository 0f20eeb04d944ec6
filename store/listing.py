"""The listing: ``Course``, the one item every spider yields, and each field's role declared on it.

A field is a **source fact** unless it says otherwise: what the source states, in its own language
and vocabulary; spiders fill these in, a change of one is a change of the listing (hashed,
recorded in course_changes). ``derived()`` marks what the pipelines work out (languages, English,
topics, positions, sortable dates): refreshed on every crawl, never a change. ``about_record()``
marks where and when the record was read and its ids: stored, not content. How a value is stored
follows from the annotation: lists and dicts as JSON text, booleans as 0/1, numbers as numbers.

Adding a field is one line here (with ``derived()`` if a pipeline fills it) and its column
description in datasette_metadata.yml; the courses table gains the column on the next open.
Provider-specific facts that have no column of their own go to ``extras``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any

# A field's role, declared in its metadata under ROLE.
ROLE = "role"
FACT = "fact"  # a source fact (the default)
DERIVED = "derived"  # worked out by a pipeline
RECORD = "record"  # about the record (ids, where and when it was read), not its content
MARKER = "marker"  # tells the store what to do with the listing; not a column


def derived(default: Any = None, *, default_factory: Any = None) -> Any:
    """A field the pipelines fill in (not a source fact): stored, refreshed on every crawl,
    never hashed as content, so working it out differently changes no listing."""
    if default_factory is not None:
        return field(default_factory=default_factory, metadata={ROLE: DERIVED})
    return field(default=default, metadata={ROLE: DERIVED})


def about_record(default: Any = None) -> Any:
    """A field about the record rather than the offering (its id, where and when it was read):
    stored, never hashed as content (a replay port or a mirror is not a change)."""
    return field(default=default, metadata={ROLE: RECORD})


@dataclass
class Course:
    # --- identity and provenance -------------------------------------------------------------
    source: str | None = about_record()  # spider name, e.g. "opintopolku_fi"; stamped by a pipeline
    source_id: str | None = None  # the record's id in the source (OID, event id)
    source_url: str | None = about_record()  # API document the facts came from
    url: str | None = None  # public page of the listing (provider or register)
    country: str | None = None  # ISO 3166-1 alpha-2, stamped from the spider
    fetched_at: str | None = about_record()
    source_modified_at: str | None = None  # ISO 8601, as the source reports it
    # the source reports the record as deleted/withdrawn: the store stages its removal
    removed: bool = field(default=False, metadata={ROLE: MARKER})

    # --- text in the original language(s) ----------------------------------------------------
    title: str | None = None  # in the listing's primary language
    title_lang: str | None = None  # declared by the source (ISO 639-1)
    title_i18n: dict[str, str] = field(default_factory=dict)  # every language variant given
    description: str | None = None  # clean text (HTML turned into paragraphs by the clean pipeline)
    description_lang: str | None = None
    description_i18n: dict[str, str] = field(default_factory=dict)
    # "field:lang" of variants that merely copy the primary text, e.g. "title:en" when the
    # "en" title is the Finnish one again; the language pipeline must not take them as English.
    copied_variants: list[str] = field(default_factory=list)

    # --- provider and place ------------------------------------------------------------------
    provider_name: str | None = None
    provider_id: str | None = None
    institution_name: str | None = None  # school/campus when different from the provider
    institution_id: str | None = None
    municipality_code: str | None = None  # SCB (SE, 4 digits) or Statistics Finland (FI, 3 digits)
    municipality: str | None = None
    region: str | None = None
    region_code: str | None = None  # län / maakunta code
    nuts3: str | None = None
    # WGS84: the source's address position, else the municipality's (normalise pipeline)
    latitude: float | None = derived()
    longitude: float | None = derived()
    coordinates_method: str | None = derived()  # where the position came from
    mode: str | None = None  # campus / distance / blended / online

    # --- what kind of education --------------------------------------------------------------
    education_type: str | None = None  # shared vocabulary (normalise pipeline) or source term
    education_type_source: str | None = None  # the source's own code, kept verbatim
    eqf_level: int | None = None
    level_source: str | None = None
    eqf_method: str | None = None  # "given" by the source, else how it was derived
    nqf_level: int | None = None  # national level (SeQF / FiNQF)

    # --- size, pace, languages ---------------------------------------------------------------
    credits: float | None = None
    credit_unit: str | None = None
    ects: float | None = None
    ects_estimated: bool | None = None
    ects_method: str | None = None
    instruction_languages: list[str] = field(default_factory=list)  # ISO 639-1
    study_forms: list[str] = field(default_factory=list)
    teaching_times: list[str] = field(default_factory=list)
    pace_percent: int | None = None

    # --- seats, field of education, occupations (spiders/extract/classifications.py) ----------
    seats: int | None = None  # how many can start, as the source states it
    isced_f: str | None = None  # ISCED-F 2013 field code: 2 digits broad, 3 narrow, 4 detailed
    isced_f_source: str | None = None  # the source's own field code, verbatim
    occupations: list[str] = field(default_factory=list)  # "SSYK <code>", or titles as the source gives them

    # --- when --------------------------------------------------------------------------------
    start_date: str | None = None  # ISO date
    end_date: str | None = None
    start_term: str | None = None  # e.g. "2025-autumn"
    # sortable ISO date: start_date, else the first day of start_term (normalise pipeline)
    start_from: str | None = derived()
    rolling_admission: bool | None = None
    application_start: str | None = None
    application_end: str | None = None
    application_code: str | None = None

    # --- money and status --------------------------------------------------------------------
    fee_type: str | None = None
    fee_amount: float | None = None
    cancelled: bool | None = None

    extras: dict[str, Any] = field(default_factory=dict)

    # --- set by the pipelines, never by spiders ----------------------------------------------
    id: str | None = about_record()  # store.rows.course_id(source, source_id)
    # language pipeline: detected language and confidence, and the effective language (the
    # declared one unless detection confidently disagrees) of title and description, and the
    # same for every language variant as {"title:en": {...}} in text_languages
    title_detected_lang: str | None = derived()
    title_lang_confidence: float | None = derived()
    title_effective_lang: str | None = derived()
    description_detected_lang: str | None = derived()
    description_lang_confidence: float | None = derived()
    description_effective_lang: str | None = derived()
    text_languages: dict[str, Any] = derived(default_factory=dict)
    # topics pipeline: [{"topic": ..., "terms": [...], "fields": [...]}]; stored as the topic names
    topics: list[dict[str, Any]] = derived(default_factory=list)
    # translate pipeline: English text, how it was made and by which model
    title_en: str | None = derived()
    title_en_method: str | None = derived()
    title_en_model: str | None = derived()
    description_en: str | None = derived()
    description_en_method: str | None = derived()
    description_en_model: str | None = derived()


@dataclass
class Seen:
    """A listing the spider saw again but did not re-read because the source says it is
    unchanged (incremental runs): the store only moves its ``last_seen``."""

    source_id: str
    source: str | None = None
    source_modified_at: str | None = None


@dataclass
class Kept:
    """A listing the spider or a pipeline saw but could not use this time: a status outside the
    source's known vocabulary, a document that no longer has the shape of a listing, an item
    validation had to drop. The store keeps the stored listing exactly as it was (not removed,
    not changed), so an unusable answer is never read as a removal."""

    source_id: str
    reason: str
    source: str | None = None


@dataclass
class HeldBack:
    """A listing that is not a real offering (a test or placeholder entry of the register): kept
    out of the courses table, its views, facets, counts and exports, and recorded with the reason
    in ``held_back_listings``."""

    source_id: str
    reason: str
    source: str | None = None
    title: str | None = None
    provider_name: str | None = None
    url: str | None = None
    source_url: str | None = None


# How a value is stored, from its annotation (strings: ``from __future__ import annotations``).
JSON, BOOL, INTEGER, REAL, TEXT = "json", "bool", "integer", "real", "text"
_COLUMN_TYPE = {JSON: str, BOOL: int, INTEGER: int, REAL: float, TEXT: str}


def encoding_of(annotation: str) -> str:
    """``list[str]`` and ``dict[...]`` -> JSON, ``bool`` -> BOOL, ``int`` -> INTEGER, ``float``
    -> REAL (an int is a float here too), anything else -> TEXT."""
    kinds = {part.strip() for part in str(annotation).split("|")} - {"None"}
    if any(kind.startswith(("list", "dict", "tuple", "set")) for kind in kinds):
        return JSON
    if kinds == {"bool"}:
        return BOOL
    if kinds <= {"bool", "int"}:
        return INTEGER
    if kinds <= {"float", "int"}:
        return REAL
    return TEXT


@dataclass(frozen=True)
class FieldRole:
    """One field of a listing as the store reads it: its role and how it is stored."""

    name: str
    role: str
    encoding: str

    @property
    def column_type(self) -> type:
        """The SQLite column type, as sqlite-utils names it."""
        return _COLUMN_TYPE[self.encoding]


@functools.cache
def field_roles(listing: type = Course) -> tuple[FieldRole, ...]:
    """Every field of ``listing`` (Course, or a class derived from it) with its declared role."""
    return tuple(FieldRole(f.name, f.metadata.get(ROLE, FACT), encoding_of(f.type)) for f in fields(listing))


@functools.cache
def names_with(listing: type = Course, *, roles: frozenset[str] = frozenset(), encoding: str | None = None):
    """The names of ``listing``'s fields of these roles (all roles when empty) and encoding."""
    return tuple(
        r.name
        for r in field_roles(listing)
        if (not roles or r.role in roles) and (encoding is None or r.encoding == encoding)
    )


COURSE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Course))
# what the pipelines derive: refreshed on every crawl, never a change
DERIVED_FIELDS: tuple[str, ...] = names_with(roles=frozenset({DERIVED}))
# the source facts whose change is a change of the listing (hashed, recorded in course_changes)
CONTENT_FIELDS: tuple[str, ...] = names_with(roles=frozenset({FACT}))
# the columns of courses that hold a field (the marker ``removed`` is ``removed_at`` there)
STORED_FIELDS: tuple[str, ...] = names_with(roles=frozenset({FACT, DERIVED, RECORD}))
JSON_FIELDS: frozenset[str] = frozenset(names_with(roles=frozenset({FACT, DERIVED, RECORD}), encoding=JSON))
BOOL_FIELDS: frozenset[str] = frozenset(names_with(roles=frozenset({FACT, DERIVED, RECORD}), encoding=BOOL))


def column_types(listing: type = Course) -> dict[str, type]:
    """The courses table's column type of each stored field of ``listing``."""
    return {r.name: r.column_type for r in field_roles(listing) if r.role != MARKER}


COURSE_COLUMN_TYPES: dict[str, type] = column_types()
