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
from pipelines.places import lookup
from pipelines.vocabularies import ECTS, FI_QUALIFICATION_LEVELS, FI_TYPES, SE_LEVELS, SE_TYPES
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


def level(item: Course) -> tuple[int | None, int | None, str | None]:
    """(EQF level, national level, method)."""
    if item.level_source and item.level_source.startswith("eqf_") and item.eqf_level:
        return item.eqf_level, item.eqf_level, "given (EQF level stated by the source)"
    if item.level_source and item.level_source.startswith("seqf_") and item.eqf_level:
        return item.eqf_level, item.eqf_level, f"from the SeQF level stated by the source (SeQF {item.eqf_level} = EQF {item.eqf_level})"
    extras = item.extras
    if item.country == "FI":
        path = extras.get("koulutustyyppi_path") or ""
        if path in FI_QUALIFICATION_LEVELS:
            value, rule = FI_QUALIFICATION_LEVELS[path]
            return value, value, f"derived from the qualification type: {rule}"
        if item.education_type_source in ("amk", "yo"):
            digits = {c.split("_", 1)[1][:1] for c in extras.get("koulutus_codes") or [] if re.match(r"koulutus_\d{6}$", c)}
            if len(digits) == 1 and digits <= {"6", "7", "8"}:
                value = int(digits.pop())
                return value, value, f"derived from the degree's education classification code (level {value}): FiNQF {value}"
        return None, None, None
    code = item.education_type_source
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
    if code in ("VUXGY", "Gymnasial vuxenutbildning"):
        value, rule = SE_LEVELS["VUXGY"]
        return value, value, f"derived from the school form: {rule}"
    return None, None, None


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
                self.crawler.spider.logger.info("Unknown education type %r (%s %s): left unmapped", item.education_type_source, item.source, item.source_id)
        eqf, national, method = level(item)
        item.eqf_level, item.nqf_level, item.eqf_method = eqf, national, method
        if eqf is None:
            self.count("normalise/unknown/eqf_level")
        if item.ects is None:
            item.ects, item.ects_estimated, item.ects_method = ects(item)
            if item.credits is not None and item.credit_unit not in ECTS:
                self.count("normalise/unknown/credit_unit")
        self._region(item)
        return item

    def _region(self, item: Course) -> None:
        """Official municipality name, region and NUTS-3 from the code (pipelines/places.py).
        A place name the source gave that differs from the municipality (Susa-navet's town,
        e.g. Abisko in Kiruna) is kept in extras["place_name"]; unknown codes stay as given."""
        if not item.municipality_code:
            return
        place = lookup(item.country, item.municipality_code)
        if place is None:
            self.count("normalise/unknown/municipality")
            self.crawler.spider.logger.info("Unknown municipality code %r (%s %s %s): no region",
                                            item.municipality_code, item.country, item.source, item.source_id)
            return
        if item.municipality and item.municipality not in (place.municipality, place.municipality_sv):
            item.extras.setdefault("place_name", item.municipality)
        item.municipality_code, item.municipality = place.municipality_code, place.municipality
        item.region_code, item.region, item.nuts3 = place.region_code, place.region, place.nuts3
