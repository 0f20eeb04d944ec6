"""Makes listings comparable across the border: a shared education type, the EQF level (and
national level) with how it was obtained, an ECTS equivalent of the credits with an estimate
flag and method, and the region of the municipality.

The source's own values stay in their columns (education_type_source, level_source, credits,
credit_unit, municipality_code). What cannot be mapped is left empty and counted
(``aggregator/normalise/unknown/<field>``), never guessed.
"""

from __future__ import annotations

import re

from pipelines.base import CrawlerPipeline
from pipelines.places import by_name, lookup, municipality_position
from pipelines.vocabularies import (
    ECTS,
    FI_CODE_LEVELS,
    FI_QUALIFICATION_LEVELS,
    FI_QUALIFICATION_NAMES,
    FI_TYPE_LEVELS,
    FI_TYPES,
    FI_UAS_TITLES,
    SE_LEVELS,
    SE_NO_LEVEL,
    SE_TYPES,
)
from spiders.items import Course


def education_type(item: Course) -> str | None:
    code = item.education_type_source
    if not code:
        return None
    extras = item.extras
    if item.country == "FI":
        if extras.get("is_open_university"):
            return "open_university"
        if extras.get("is_labour_market_training"):
            return "labour_market_training"
        mapped = FI_TYPES.get(code)
        if extras.get("is_continuing_education") and mapped in ("university_course", "vocational_module"):
            return "continuing_education"
        return mapped
    configuration = extras.get("configuration")
    return SE_TYPES.get(f"{code}:{configuration}") or SE_TYPES.get(code)


def _names(value) -> list[str]:
    """The texts of a {lang: text} dict (or of a list of them), lower-cased."""
    if isinstance(value, dict):
        return [v.casefold() for v in value.values() if isinstance(v, str)]
    if isinstance(value, list):
        return [name for part in value for name in _names(part)]
    return []


def _fi_qualification(item: Course) -> tuple[int, str] | None:
    """A Finnish qualification's level from what the real documents carry: the kind in the
    programme's or qualification's name, the UAS degree title, the education classification
    code's level digit."""
    extras = item.extras
    path = extras.get("koulutustyyppi_path") or ""
    if path in FI_QUALIFICATION_LEVELS:
        value, rule = FI_QUALIFICATION_LEVELS[path]
        return value, f"derived from the qualification type: {rule}"
    names = _names(extras.get("koulutus_name")) + _names(extras.get("official_names"))
    code = item.education_type_source
    if code == "amm":
        for name in names + _names({"title": item.title}):
            for ending, kind in FI_QUALIFICATION_NAMES:
                if name.rstrip(" .").endswith(ending) or f"{ending} " in name or f"{ending}," in name:
                    value, rule = FI_QUALIFICATION_LEVELS[kind]
                    return value, f"derived from the qualification's name ({ending}): {rule}"
    if code == "amk":
        for name in names + _names(extras.get("qualification_titles")) + _names({"title": item.title}):
            for markers, kind in FI_UAS_TITLES:
                if any(marker in name for marker in markers):
                    value, rule = FI_QUALIFICATION_LEVELS[kind]
                    return value, f"derived from the degree title: {rule}"
    digits = {c.split("_", 1)[1][:1] for c in extras.get("koulutus_codes") or [] if re.match(r"koulutus_\d{6}$", c)}
    if len(digits) == 1 and digits <= set(FI_CODE_LEVELS) and code in ("amm", "amk", "yo", "lk"):
        value, rule = FI_CODE_LEVELS[digits.pop()]
        return value, f"derived from the education classification code: {rule}"
    return None


def level(item: Course) -> tuple[int | None, int | None, str | None]:
    """(EQF level, national level, method): the method says how the level was obtained, or,
    with no level, why there is none."""
    if item.level_source and item.level_source.startswith("eqf_") and item.eqf_level:
        return item.eqf_level, item.eqf_level, "given (EQF level stated by the source)"
    if item.level_source and item.level_source.startswith("seqf_") and item.eqf_level:
        return (
            item.eqf_level,
            item.eqf_level,
            f"from the SeQF level stated by the source (SeQF {item.eqf_level} = EQF {item.eqf_level})",
        )
    extras = item.extras
    code = item.education_type_source
    if extras.get("schema_types"):
        return None, None, f"no level: the provider's page states none (schema.org {code})"
    if item.country == "FI":
        found = _fi_qualification(item)
        if found:
            return found[0], found[0], found[1]
        if code in FI_TYPE_LEVELS:
            value, rule = FI_TYPE_LEVELS[code]
            return (value, value, f"derived from the education type: {rule}") if value else (None, None, rule)
        if code in ("amm", "amk", "yo"):
            return None, None, "no level: the document names no qualification kind, degree title or classification code"
        return (
            None,
            None,
            "no level: the source gives no education type" if not code else f"no level: unknown education type {code}",
        )
    if code == "YH" or code == "Yrkeshögskoleutbildning":
        key = "YH:kvalificerad" if (item.credits or 0) >= 400 and item.credit_unit == "yh-poäng" else "YH"
        value, rule = SE_LEVELS[key]
        return value, value, f"derived from the qualification type: {rule}"
    levels = extras.get("education_levels") or []
    for uh in levels:
        if isinstance(uh, str) and re.fullmatch(r"[GA]\d\w{1,2}", uh):
            value, rule = SE_LEVELS[uh[0]]
            return value, value, f"derived from the course level {uh}: {rule}"
    for isced in levels:
        if isced in SE_LEVELS:
            value, rule = SE_LEVELS[isced]
            return value, value, f"derived from {rule}"
    if code in ("VUXGY", "VUXGYAN", "Gymnasial vuxenutbildning"):
        value, rule = SE_LEVELS["VUXGY"]
        return value, value, f"derived from the school form: {rule}"
    if code in ("VUXGR", "VUXGRAN", "Grundläggande vuxenutbildning"):
        value, rule = SE_LEVELS["VUXGR"]
        return value, value, f"derived from the school form: {rule}"
    if code in ("HS", "Högskoleutbildning"):
        if extras.get("recommended_prior_knowledge") == "grundlaggande":
            value, rule = SE_LEVELS["HS:grundlaggande"]
            return value, value, f"derived from the entry requirements: {rule}"
        return None, None, "no level: a university course whose cycle (first or second) the source does not give"
    if code in SE_NO_LEVEL:
        return None, None, SE_NO_LEVEL[code]
    return (
        None,
        None,
        "no level: the source gives no school form" if not code else f"no level: unknown school form {code}",
    )


# Finnish education types whose credits are, by law, in one unit: the unit when a document gives
# the number without it (most real UAS programme documents do)
FI_DEFAULT_UNITS = {
    "amk": "opintopiste",
    "yo": "opintopiste",
    "kk-opintojakso": "opintopiste",
    "kk-opintokokonaisuus": "opintopiste",
    "erikoistumiskoulutus": "opintopiste",
    "ope-pedag-opinnot": "opintopiste",
    "lk": "opintopiste",
    "amm": "osaamispiste",
    "amm-tutkinnon-osa": "osaamispiste",
    "amm-osaamisala": "osaamispiste",
}


def default_credit_unit(item: Course) -> str | None:
    """The unit of credits given without one, where the education type fixes it."""
    if item.credits is None or item.credit_unit or item.country != "FI":
        return None
    return FI_DEFAULT_UNITS.get(item.education_type_source or "")


# The first day of a term, for listings that give a term but no date: the academic year's two
# terms in both countries (Finnish syksy/kevät, Swedish HT/VT) begin in August and January.
TERM_STARTS = {"autumn": "08-01", "spring": "01-01"}


def start_from(item: Course) -> str | None:
    """A sortable first day: the start date, else the first day of the start term ("2025-autumn"
    -> 2025-08-01); none for an individual start or a term without a year."""
    if item.start_date:
        return item.start_date[:10]
    match = re.fullmatch(r"(\d{4})-(autumn|spring)", item.start_term or "")
    return f"{match[1]}-{TERM_STARTS[match[2]]}" if match else None


def ects(item: Course) -> tuple[float | None, bool | None, str | None]:
    if item.credits is None or not item.credit_unit:
        return None, None, None
    if item.credit_unit not in ECTS:
        return None, None, None
    factor, estimated, method = ECTS[item.credit_unit]
    if factor is None:
        return None, None, method
    return round(item.credits * factor, 1), estimated, method


class NormalisePipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        if item.education_type is None:
            item.education_type = education_type(item)
            if item.education_type is None and item.education_type_source:
                self.count("normalise/unknown/education_type")
                self.crawler.spider.logger.info(
                    "Unknown education type %r (%s %s): left unmapped",
                    item.education_type_source,
                    item.source,
                    item.source_id,
                )
        self._region(item)  # first: a town named by a web page gives the code, and the country when unknown
        eqf, national, method = level(item)
        item.eqf_level, item.nqf_level, item.eqf_method = eqf, national, method
        if eqf is None:
            self.count("normalise/unknown/eqf_level")
        unit = default_credit_unit(item)
        if unit:
            item.credit_unit = unit
            item.extras["credit_unit_method"] = (
                f"not given by the source: {item.education_type_source} credits are in {unit} by law"
            )
            self.count("normalise/derived/credit_unit")
        if item.ects is None:
            item.ects, item.ects_estimated, item.ects_method = ects(item)
            if item.credits is not None and item.credit_unit not in ECTS:
                self.count("normalise/unknown/credit_unit")
        item.start_from = start_from(item)
        self._position(item)
        return item

    def _position(self, item: Course) -> None:
        """The source's address position where it gave one, else the municipality's main
        settlement; counted where neither is known."""
        if item.latitude is not None and item.longitude is not None:
            item.coordinates_method = item.coordinates_method or "source address"
            return
        found = municipality_position(item.country, item.municipality_code)
        if found is None:
            item.latitude = item.longitude = None
            item.coordinates_method = None
            self.count("normalise/unknown/coordinates")
            return
        item.latitude, item.longitude, item.coordinates_method = found

    def _region(self, item: Course) -> None:
        """Official municipality name, region and NUTS-3 from the code (pipelines/places.py).
        A place name the source gave that differs from the municipality (Susa-navet's town,
        e.g. Abisko in Kiruna) is kept in extras["place_name"]; unknown codes stay as given.
        Without a code (provider web sites give a town), the municipality of that name, and its
        country when the spider did not know it; counted as derived."""
        if not item.municipality_code and item.municipality:
            named = by_name(item.country, item.municipality)
            if named is not None:
                item.municipality_code, item.country = named.municipality_code, item.country or named.country
                self.count("normalise/derived/municipality_code")
            else:
                self.count("normalise/unknown/municipality_name")
                item.extras.setdefault("place_name", item.municipality)
        if not item.municipality_code:
            return
        place = lookup(item.country, item.municipality_code)
        if place is None:
            self.count("normalise/unknown/municipality")
            self.crawler.spider.logger.info(
                "Unknown municipality code %r (%s %s %s): no region",
                item.municipality_code,
                item.country,
                item.source,
                item.source_id,
            )
            return
        if item.municipality and item.municipality not in (place.municipality, place.municipality_sv):
            item.extras.setdefault("place_name", item.municipality)
        item.municipality_code, item.municipality = place.municipality_code, place.municipality
        item.region_code, item.region, item.nuts3 = place.region_code, place.region, place.nuts3
