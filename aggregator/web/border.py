"""What a listing's page says to a student from the other country: who is eligible, the language,
the fees, how and when to apply, whether student aid follows the student, and where to apply
(the "Apply" link). The rules are data (across_the_border.toml: each with its official source
and the day it was checked), applied by the listing's country and education type; the listing's
own facts (its languages, fee, application window and address) are put beside them."""

from __future__ import annotations

import json
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aggregator.labels import COUNTRIES
from aggregator.web.words import Words, json_list, safe_url

RULES_FILE = Path(__file__).resolve().parent / "across_the_border.toml"
TOPICS = {
    "eligibility": "Who can apply",
    "language": "Language",
    "fees": "Fees",
    "application": "How and when to apply",
    "student_aid": "Student aid",
}
# a language a student from the other country reads as their own (Finland has Swedish speakers too)
OWN_LANGUAGES = {"FI": ("sv",), "SE": ("fi", "sv")}
OPINTOPOLKU_PAGE = re.compile(r"^https://opintopolku\.fi/konfo/(fi|sv|en)/(toteutus|koulutus)/([0-9.]+)$")
PAGE_LANGUAGES = {"en": "in English", "sv": "på svenska", "fi": "suomeksi"}


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with RULES_FILE.open("rb") as data:
        return tomllib.load(data)


def _matches(entry: dict[str, Any], country: str | None, kind: str | None) -> int:
    """2 for a rule naming the type, 1 for a rule of every type ("*"), 0 for no match."""
    if entry.get("country") != country:
        return 0
    types = entry.get("types") or []
    if kind and kind in types:
        return 2
    return 1 if "*" in types else 0


def rule_for(country: str | None, kind: str | None, topic: str) -> dict[str, Any] | None:
    candidates = [(m, r) for r in rules().get("rule", []) if r["topic"] == topic and (m := _matches(r, country, kind))]
    return max(candidates, key=lambda pair: pair[0])[1] if candidates else None


def service_for(country: str | None, kind: str | None) -> dict[str, Any] | None:
    candidates = [(m, s) for s in rules().get("service", []) if (m := _matches(s, country, kind))]
    return max(candidates, key=lambda pair: pair[0])[1] if candidates else None


def declared_languages(row: dict[str, Any], extras: dict[str, Any]) -> set[str]:
    """The languages the source has the listing's texts in (Opintopolku's kielivalinta, the
    title's variants)."""
    found = {str(l) for l in json_list(extras.get("kielivalinta"))}
    try:
        found |= set(json.loads(row.get("title_i18n") or "{}"))
    except (ValueError, TypeError):
        pass
    return found


def _extras(row: dict[str, Any]) -> dict[str, Any]:
    try:
        extras = json.loads(row.get("extras") or "{}")
    except (ValueError, TypeError):
        return {}
    return extras if isinstance(extras, dict) else {}


def apply_link(row: dict[str, Any], words: Words) -> dict[str, Any] | None:
    """Where to apply: {"href", "text", "how", "others": [(language, href)]}; None when the
    source gives neither an application address nor a period (the section then points to the
    application service in words)."""
    extras = _extras(row)
    window = words.window(row)
    page = safe_url(row.get("url"))
    application = safe_url(extras.get("application_url"))
    if not (page or application or window):
        return None
    country, kind = row.get("country"), row.get("education_type")
    found = OPINTOPOLKU_PAGE.match(page or "")
    if found:
        # Opintopolku has every listing's page in Finnish, Swedish and English: the reader's
        # language (English, else Swedish) where the source has the listing's texts in it
        _, path, oid = found.groups()
        languages = declared_languages(row, extras)
        order = [l for l in ("en", "sv") if l in languages] + ["fi"]
        pages = [(l, f"https://opintopolku.fi/konfo/{l}/{path}/{oid}") for l in dict.fromkeys(order)]
        first, href = pages[0]
        return {
            "href": href,
            "text": f"Apply on Studyinfo.fi (Opintopolku), the listing's page {PAGE_LANGUAGES[first]}",
            "how": "The page has the application form (the “Hae” / “Ansök” / “Apply” button) while applications are "
            "open.",
            "others": [(PAGE_LANGUAGES[l], h) for l, h in pages[1:]],
        }
    code = row.get("application_code")
    if application:
        host = urlsplit(application).netloc.removeprefix("www.")
        how = f"Application code {code}." if code else ""
        return {"href": application, "text": f"Apply on {host}", "how": how, "others": []}
    if page:
        host = urlsplit(page).netloc.removeprefix("www.")
        return {
            "href": page,
            "text": f"Apply through the provider's page ({host})",
            "how": "The provider's page for this offering says how to apply.",
            "others": [],
        }
    service = service_for(country, kind)
    provider = row.get("provider_name") or "the provider"
    contractor = extras.get("contractor") or extras.get("organizer")
    who = f"{provider}{f' ({contractor})' if contractor and contractor != provider else ''}"
    place = f" in {row['municipality']}" if row.get("municipality") else ""
    how = f"The source gives no page for this offering. It is run by {who}{place}. " + (
        service["how"] if service else "Contact the provider to apply."
    )
    if kind in ("upper_secondary_adult", "basic_adult_education", "language_for_immigrants") and row.get(
        "municipality"
    ):
        how += f" For this course that is the adult education office of {row['municipality']} municipality."
    return {
        "href": service["url"] if service else (rules()["guidance"].get(country) or {}).get("url"),
        "text": f"Apply: {service['title']}" if service else "Apply: the official guidance",
        "how": how,
        "others": [],
    }


def taught_in(row: dict[str, Any], words: Words) -> str:
    languages = [str(l) for l in json_list(row.get("instruction_languages"))]
    country = row.get("country")
    if not languages:
        return "The source does not say which language it is taught in."
    said = f"Taught in {words.listed('instruction_languages', row.get('instruction_languages'))}."
    own = [l for l in languages if l in OWN_LANGUAGES.get(country or "", ())]
    notes = []
    if own:
        names = ", ".join(str(words.label("instruction_languages", l)) for l in own)
        notes.append(f"a student from {rules()['from'].get(country, 'the other country')} can study in {names}")
    if "en" in languages:
        notes.append("English-taught")
    return said + (f" ({'; '.join(notes)})" if notes else "")


def across_the_border(row: dict[str, Any], words: Words) -> dict[str, Any]:
    """The section's content for one listing (templates/row-aggregator-courses.html)."""
    country, kind = row.get("country"), row.get("education_type")
    data = rules()
    guidance = data["guidance"].get(country) or {}
    items = []
    for topic, heading in TOPICS.items():
        rule = rule_for(country, kind, topic)
        items.append(
            {
                "topic": topic,
                "heading": heading,
                "rule": rule,
                "checked": str(rule["checked"]) if rule else None,
            }
        )
    extras = _extras(row)
    aid = extras.get("eligible_for_student_aid")
    return {
        "from": data["from"].get(country, "the other country"),
        "country": COUNTRIES.get(country or "", country or "this country"),
        "kind": words.label("education_type", kind, "type of education not given by the source"),
        "items": items,
        "taught": taught_in(row, words),
        "fee": words.fee(row),
        "window": words.window(row),
        "code": row.get("application_code"),
        "student_aid_here": (
            "The source says this course gives the right to Swedish student aid (CSN)."
            if aid is True and country == "SE"
            else "The source says this course does not give the right to Swedish student aid (CSN)."
            if aid is False and country == "SE"
            else None
        ),
        "guidance": guidance,
        "apply": apply_link(row, words),
    }
