"""English labels for the values the site's facets show, as a table the site reads
(``value_labels``: column, value, label), written from the project's vocabularies and the
official region names with the data (nightly job) and into every snapshot. The data keep their
codes and official names; only what a visitor reads is labelled: "upper_secondary_adult" shows
as "Upper secondary adult education (komvux, lukio for adults)", "Pohjois-Pohjanmaa" as
"Pohjois-Pohjanmaa (North Ostrobothnia)", "Västerbottens län" as "Västerbottens län
(Västerbotten County)"."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from pipelines.vocabularies import EDUCATION_TYPES, SE_COUNTIES

LABELS_TABLE = "value_labels"
COUNTRIES = {"FI": "Finland", "SE": "Sweden"}
LANGUAGES = {
    "sv": "Swedish",
    "fi": "Finnish",
    "en": "English",
    "se": "Northern Sami",
    "de": "German",
    "fr": "French",
    "ru": "Russian",
    "et": "Estonian",
    "und": "undetermined",
}
# the other coded values a visitor reads (templates show the label, the data keep the code)
FEE_TYPES = {
    "maksuton": "Free",
    "maksullinen": "Fee charged",
    "lukuvuosimaksu": "Tuition fee per academic year",
    "tuition_fee": "Tuition fee",
}
MODES = {"campus": "On campus", "distance": "Distance", "online": "Online", "blended": "Blended (campus and distance)"}
# study forms and teaching times as the sources write them (Opintopolku's Finnish names where it has no
# English one, Susa-navet's codes)
STUDY_FORMS = {
    "Lähiopetus": "Contact teaching",
    "Monimuoto": "Blended learning",
    "Etäopetus": "Distance teaching",
    "Verkko-opetus": "Online teaching",
    "Päiväopetus": "Day time teaching",
    "Iltaopetus": "Evening teaching",
    "Viikonloppuopetus": "Weekend teaching",
    "Päivä- ja iltaopetus": "Day and evening teaching",
    "Ajankohdasta riippumaton": "At any time (not tied to a schedule)",
    "dag": "Daytime",
    "kvall": "Evening",
    "helg": "Weekend",
    "dagkvall": "Day and evening",
    "distans": "Distance",
}
CREDIT_UNITS = {
    "osaamispiste": "competence points (osaamispiste)",
    "opintopiste": "credits (opintopiste, ECTS)",
    "högskolepoäng": "higher education credits (högskolepoäng)",
    "yh-poäng": "YH points (yh-poäng)",
    "gymnasiepoäng": "upper secondary points (gymnasiepoäng)",
    "opintoviikko": "study weeks (opintoviikko)",
}
ENGLISH_METHODS = {
    "original": "English original",
    "provider": "English from the provider",
    "official": "official English name",
    "machine": "machine translation",
    "pending": "English not available yet",
}
START_TERMS = {"individual": "Individual start (the study plan decides)"}
FI_REGIONS = Path(__file__).resolve().parent.parent / "pipelines" / "data" / "fi_regions.csv"


def swedish_county_in_english(name: str) -> str:
    """ "Västerbottens län" -> "Västerbotten County" (the county's name without the genitive s)."""
    base = name.removesuffix(" län")
    if base.endswith("s") and not base.endswith("ss"):
        base = base[:-1]
    return f"{base} County"


def value_labels(sources: dict[str, str] | None = None) -> list[dict[str, str]]:
    rows = [{"column": "education_type", "value": code, "label": label} for code, label in EDUCATION_TYPES.items()]
    rows += [{"column": "country", "value": code, "label": f"{name} ({code})"} for code, name in COUNTRIES.items()]
    for column in ("title_effective_lang", "description_effective_lang", "instruction_languages"):
        rows += [{"column": column, "value": code, "label": name} for code, name in LANGUAGES.items()]
    for column, names in (
        ("fee_type", FEE_TYPES),
        ("mode", MODES),
        ("study_forms", STUDY_FORMS),
        ("teaching_times", STUDY_FORMS),
        ("credit_unit", CREDIT_UNITS),
        ("title_en_method", ENGLISH_METHODS),
        ("description_en_method", ENGLISH_METHODS),
        ("start_term", START_TERMS),
    ):
        rows += [{"column": column, "value": code, "label": label} for code, label in names.items()]
    for county, _ in SE_COUNTIES.values():
        rows.append({"column": "region", "value": county, "label": f"{county} ({swedish_county_in_english(county)})"})
    with FI_REGIONS.open(encoding="utf-8", newline="") as regions:
        for region in csv.DictReader(regions):
            english = region["name_en"].removesuffix(" Region").replace("Helsinki-Uusimaa", "Uusimaa")
            label = region["name_fi"] if english == region["name_fi"] else f"{region['name_fi']} ({english})"
            rows.append({"column": "region", "value": region["name_fi"], "label": label})
    rows += [{"column": "source", "value": name, "label": title} for name, title in (sources or {}).items() if title]
    return rows


def write_value_labels(conn: sqlite3.Connection) -> int:
    """(Re)write the labels table in the database ``conn`` is open on; returns its rows."""
    sources = {}
    if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'sources'").fetchone():
        sources = dict(conn.execute("select name, title from sources"))
    rows = value_labels(sources)
    if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'courses'").fetchone():
        from aggregator.classifications import classification_labels

        rows += classification_labels(conn)  # fields of education and occupation codes
    conn.execute(f"drop table if exists [{LABELS_TABLE}]")
    conn.execute(
        f"create table [{LABELS_TABLE}] ([column] TEXT, value TEXT, label TEXT, primary key ([column], value))"
    )
    conn.executemany(f"insert or replace into [{LABELS_TABLE}] values (:column, :value, :label)", rows)
    return len(rows)
