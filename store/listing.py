"""The one item every spider yields: a learning opportunity as the source describes it.

Spiders fill in source facts only, in the source's own language and vocabulary. Pipelines add
what is derived (ids, provenance stamps, languages, English text, normalised vocabularies).
Provider-specific facts that have no column of their own go to ``extras``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Course:
    # --- identity and provenance -------------------------------------------------------------
    source: str | None = None  # spider name, e.g. "opintopolku_fi"; stamped by a pipeline
    source_id: str | None = None  # the record's id in the source (OID, event id)
    source_url: str | None = None  # API document the facts came from
    url: str | None = None  # public page of the listing (provider or register)
    country: str | None = None  # ISO 3166-1 alpha-2, stamped from the spider
    fetched_at: str | None = None
    source_modified_at: str | None = None  # ISO 8601, as the source reports it
    removed: bool = False  # the source reports the record as deleted/withdrawn

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
    latitude: float | None = None  # WGS84: the source's address position, else the municipality's (normalise)
    longitude: float | None = None
    coordinates_method: str | None = None  # where the position came from
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

    # --- when --------------------------------------------------------------------------------
    start_date: str | None = None  # ISO date
    end_date: str | None = None
    start_term: str | None = None  # e.g. "2025-autumn"
    start_from: str | None = None  # sortable ISO date: start_date, else the first day of start_term (normalise)
    rolling_admission: bool | None = None
    application_start: str | None = None
    application_end: str | None = None
    application_code: str | None = None

    # --- money and status --------------------------------------------------------------------
    fee_type: str | None = None
    fee_amount: float | None = None
    cancelled: bool | None = None

    extras: dict[str, Any] = field(default_factory=dict)

    # Set by the pipelines, never by spiders.
    id: str | None = None
    # language pipeline: detected language and confidence, and the effective language (the
    # declared one unless detection confidently disagrees) of title and description, and the
    # same for every language variant as {"title:en": {...}} in text_languages
    title_detected_lang: str | None = None
    title_lang_confidence: float | None = None
    title_effective_lang: str | None = None
    description_detected_lang: str | None = None
    description_lang_confidence: float | None = None
    description_effective_lang: str | None = None
    text_languages: dict[str, Any] = field(default_factory=dict)
    # topics pipeline: [{"topic": ..., "terms": [...], "fields": [...]}]
    topics: list[dict[str, Any]] = field(default_factory=list)
    title_en: str | None = None
    title_en_method: str | None = None
    title_en_model: str | None = None
    description_en: str | None = None
    description_en_method: str | None = None
    description_en_model: str | None = None


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


COURSE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Course))


def _column_type(annotation: str) -> type:
    """The SQLite column type (as sqlite-utils names it) of a Course field's annotation: lists
    and dicts are stored as JSON text, booleans as 0/1."""
    kinds = {part.strip() for part in annotation.split("|")} - {"None"}
    if any(kind.startswith(("list", "dict", "tuple")) for kind in kinds):
        return str
    if kinds <= {"bool", "int"}:
        return int
    if kinds == {"float"}:
        return float
    return str


# The courses table's column of each stored field, following the one definition above (the
# annotations are strings: ``from __future__ import annotations``).
COURSE_COLUMN_TYPES: dict[str, type] = {
    f.name: _column_type(str(f.type)) for f in fields(Course) if f.name != "removed"
}
