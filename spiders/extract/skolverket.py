"""Skolverket documents -> Course: Susa-navet EMIL 3 events (joined with their education info and
providers) and Planned Educations adult-education events.

Field names follow the APIs; see the samples' SOURCE.md for what each one holds.
"""

from __future__ import annotations

import re
from typing import Any

from spiders.extract.classifications import susanavet_fields
from spiders.extract.common import (
    LIVE,
    WITHDRAWN,
    iso_date,
    local_to_iso,
    public_url,
    record_state,
    term_of,
    text_fields,
)
from spiders.items import Course, Kept

ZONE = "Europe/Stockholm"

# ISO 639-2 (B and T forms) -> ISO 639-1
ISO_639_2 = {
    "swe": "sv",
    "eng": "en",
    "fin": "fi",
    "nor": "no",
    "nob": "nb",
    "nno": "nn",
    "dan": "da",
    "isl": "is",
    "ice": "is",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "nld": "nl",
    "dut": "nl",
    "rus": "ru",
    "pol": "pl",
    "ara": "ar",
    "som": "so",
    "tir": "ti",
    "per": "fa",
    "fas": "fa",
    "tur": "tr",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "est": "et",
    "lav": "lv",
    "lit": "lt",
    "ukr": "uk",
    "sme": "se",
    "sma": "se",
    "smj": "se",
    "smi": "se",
    "fit": "fi",
    "rom": "ro",
    "yid": "yi",
    "sgn": "sgn",
    "swl": "sgn",
}
# Susa-navet C_Credits system codes -> credit unit
CREDIT_SYSTEMS = {
    "hp": "högskolepoäng",
    "yh": "yh-poäng",
    "gy": "gymnasiepoäng",
    "fup": "folkhögskolepoäng",
    "vp": "verksamhetspoäng",
}
# C_ExecutionCondition: 2 = start chosen by the student (rolling start)
ROLLING_START = {"2"}
# Planned Educations writes "continuous admission" as this date.
CONTINUOUS_ADMISSION = "2099-12-31"

_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", re.S)


class ExtractionError(ValueError):
    """The record cannot be read as a course (counted by the spider). ``source_id`` is set when
    the record's id is known, so the spider can keep the stored listing as it was."""

    def __init__(self, message: str, source_id: str | None = None) -> None:
        super().__init__(message)
        self.source_id = source_id


# Susa-navet's record statuses: "ACTIVE", and for records deleted since (seen with updatedSince)
# another status with content null, "DELETED" in the documentation and samples.
SUSA_LIVE_STATES = {"active"}
SUSA_DELETED_STATES = {"deleted", "removed", "inactive"}


def lang_code(value: Any) -> str | None:
    """'swe' -> 'sv'; 'sv' stays; unknown -> None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip().lower()
    if len(value) == 2:
        return value
    return ISO_639_2.get(value)


def lang_strings(value: Any) -> dict[str, str]:
    """A LangString ({"strings": [{"lang": "swe", "value": ...}]}) as {"sv": text, ...}.

    Legacy EMIL 2 kept the text in ``content``; a ``content`` of "HTML" is the 3.0.4 flag.
    """
    out: dict[str, str] = {}
    for node in (value or {}).get("strings") or [] if isinstance(value, dict) else []:
        if not isinstance(node, dict):
            continue
        text = node.get("value")
        if not isinstance(text, str) or not text.strip():
            legacy = node.get("content")
            text = legacy if isinstance(legacy, str) and legacy.strip() and legacy != "HTML" else None
        lang = lang_code(node.get("lang")) or "und"
        if text and lang not in out:
            out[lang] = text.strip()
    return out


def lang_urls(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in (value or {}).get("urls") or [] if isinstance(value, dict) else []:
        if isinstance(node, dict) and isinstance(node.get("value"), str) and node["value"].strip():
            out.setdefault(lang_code(node.get("lang")) or "und", node["value"].strip())
    return out


def scb_code(value: Any) -> str | None:
    """SCB municipality code with its leading zero restored: 180 -> '0180', '2482' -> '2482'."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isdigit() or not 1 <= len(text) <= 4:
        return None
    return text.zfill(4)


def number(value: Any) -> float | None:
    """A number from a JSON number or a string ("7.5", "7,5"); None for "null", "", garbage."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(",", ".").replace("\u00a0", "")
    if text.lower() in {"", "null", "none", "nan"}:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def uncdata(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    match = _CDATA.match(text)
    return (match.group(1) if match else text).strip() or None


def wgs84(value: Any) -> dict[str, Any]:
    """Latitude and longitude of a Susa-navet location's ``wgs84`` position: an object with
    latitude/longitude (or lat/lon, lat/long) or a "lat, lon" string; none when it is missing or
    not a place in Sweden or Finland."""
    lat = lon = None
    if isinstance(value, dict):
        lat = next((value[k] for k in ("latitude", "lat") if k in value), None)
        lon = next((value[k] for k in ("longitude", "lon", "long", "lng") if k in value), None)
    elif isinstance(value, str) and "," in value:
        lat, _, lon = value.partition(",")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return {}
    if not (54.0 <= lat <= 71.0 and 10.0 <= lon <= 32.0):
        return {}
    return {
        "latitude": round(lat, 6),
        "longitude": round(lon, 6),
        "coordinates_method": "source address (Susa-navet wgs84)",
    }


def _code(value: Any) -> str | None:
    return value.get("code") if isinstance(value, dict) and value.get("code") not in (None, "") else None


def _extension(content: dict[str, Any], kind: str) -> dict[str, Any]:
    for ext in content.get("extensions") or []:
        if isinstance(ext, dict) and ext.get("type") == kind:
            return ext
    return {}


def susanavet_event_to_course(
    wrapper: dict[str, Any],
    info: dict[str, Any] | None,
    providers: dict[str, dict[str, Any]],
    api_base: str,
) -> Course | Kept:
    """One educationEvent wrapper -> Course, joined with its educationInfo content and the
    provider contents (keyed by lower-case id). A deleted record gives a Course with removed=True."""
    if not isinstance(wrapper, dict) or not isinstance(wrapper.get("id"), str):
        raise ExtractionError("the event has no id")
    event_id = wrapper["id"].strip()
    content = wrapper.get("content")
    source_url = f"{api_base}/educationEvents/{event_id}"
    state = record_state(wrapper.get("status"), SUSA_LIVE_STATES, SUSA_DELETED_STATES)
    if state == WITHDRAWN:
        return Course(source_id=event_id, source_url=source_url, removed=True)
    if state != LIVE:
        return Kept(source_id=event_id, reason=f"unknown_status:{str(wrapper.get('status'))[:40]}")
    if not isinstance(content, dict):
        raise ExtractionError(
            f"the active event {event_id} has no content object ({type(content).__name__})", source_id=event_id
        )
    info = info if isinstance(info, dict) else {}

    titles = lang_strings(content.get("title")) or lang_strings(info.get("title"))
    descriptions = lang_strings(content.get("description")) or lang_strings(info.get("description"))
    text = text_fields(titles, descriptions, ["sv", "en"])

    provider_ids = [p for p in content.get("providers") or [] if isinstance(p, str)]
    provider = next((providers[p.lower()] for p in provider_ids if p.lower() in providers), {})
    provider_names = lang_strings(provider.get("name"))

    locations = [l for l in content.get("locations") or [] if isinstance(l, dict)]
    location = next((l for l in locations if scb_code(l.get("areaCode"))), locations[0] if locations else {})

    languages, unknown_languages = [], []
    for raw in content.get("languageOfInstructions") or []:
        code = lang_code(raw)
        if code and code not in languages:
            languages.append(code)
        elif not code:
            unknown_languages.append(raw)

    execution = content.get("execution") or {}
    condition = _code(execution.get("condition"))
    application = content.get("application") or {}
    uh_event = _extension(content, "UHEventExtension")
    period = (uh_event.get("startPeriod") or {}).get("period") or {}
    start_term = None
    if period.get("year") and period.get("semester") in ("vt", "ht"):
        start_term = f"{period['year']}-{'spring' if period['semester'] == 'vt' else 'autumn'}"
    start_date = iso_date(execution.get("start"))
    if not start_term and start_date:
        start_term = term_of(start_date)

    credits_node = info.get("credits") or {}
    system = _code(credits_node.get("system"))
    pace = (content.get("paceOfStudy") or {}).get("percentage")
    tuition = uh_event.get("tuitionFee") or {}
    fees = [f for f in content.get("fees") or [] if isinstance(f, dict)]
    fee_amount = number(tuition.get("total")) if tuition.get("value") else None
    if fee_amount is None and fees:
        fee_amount = number(fees[0].get("totalAmount"))
    distance = isinstance(content.get("distance"), dict) or bool(uh_event.get("itdistance"))

    # The event's page, else the education's, else the provider's, else the API document:
    # a listing without a page of its own is still a listing.
    urls = lang_urls(content.get("url")) or lang_urls(info.get("url")) or lang_urls(provider.get("url"))
    # the provider's page; never the API document (source_url), which a student cannot use
    url = public_url(urls.get("sv") or urls.get("en") or next(iter(urls.values()), None))
    levels = [_code(l) for l in info.get("educationLevels") or [] if isinstance(l, dict)]
    seqf = _code(info.get("qualificationLevel"))

    extras: dict[str, Any] = {
        "education_info_id": content.get("education") or info.get("identifier"),
        "course_code": info.get("code"),
        "configuration": _code(info.get("configuration")),
        "education_levels": [l for l in levels if l],
        "subjects": [f"{s.get('type')}:{s.get('code')}" for s in info.get("subjects") or [] if isinstance(s, dict)],
        "seqf_level": seqf,
        "credit_system": system,
        "degrees": lang_strings(info.get("degrees")),
        "provider_ids": provider_ids,
        "town": location.get("town"),
        "locations": [{"town": l.get("town"), "municipality_code": scb_code(l.get("areaCode"))} for l in locations]
        if len(locations) > 1
        else None,
        "execution_condition": condition,
        "time_of_study": _code(content.get("timeOfStudy")),
        "places": content.get("places"),
        "is_apprenticeship": content.get("isApprenticeship"),
        "keywords": sorted(set(lang_strings_all(content.get("keywords")))),
        "application_url": next(iter(lang_urls(application.get("url")).values()), None),
        "unknown_instruction_languages": unknown_languages,
        "expires": content.get("expires"),
        "course_round": uh_event.get("courseRound"),
    }
    extras = {k: v for k, v in extras.items() if v not in (None, [], {}, "")}
    seqf_level = int(seqf) if seqf and str(seqf).isdigit() else None

    return Course(
        source_id=event_id,
        source_url=source_url,
        url=url,
        source_modified_at=local_to_iso(content.get("lastEdited"), ZONE),
        **text,
        provider_name=provider_names.get("sv") or next(iter(provider_names.values()), None),
        provider_id=provider_ids[0] if provider_ids else None,
        municipality_code=scb_code(location.get("areaCode")),
        **wgs84(location.get("wgs84")),
        municipality=location.get("town"),
        mode="distance" if distance else ("campus" if locations else None),
        education_type_source=_code(info.get("type")),
        eqf_level=seqf_level,
        level_source=f"seqf_{seqf_level}" if seqf_level else None,
        credits=number(credits_node.get("credits")),
        credit_unit=CREDIT_SYSTEMS.get(system or "", system),
        instruction_languages=languages,
        teaching_times=[t for t in [_code(content.get("timeOfStudy"))] if t],
        pace_percent=int(round(pace)) if isinstance(pace, (int, float)) and not isinstance(pace, bool) else None,
        start_date=start_date,
        end_date=iso_date(execution.get("end")),
        start_term=start_term or ("individual" if condition in ROLLING_START else None),
        rolling_admission=True if (condition in ROLLING_START or application.get("continuous")) else None,
        application_start=iso_date(application.get("first")),
        application_end=iso_date(application.get("last")),
        application_code=application.get("code") or None,
        fee_type="tuition_fee" if tuition.get("value") else None,
        fee_amount=fee_amount,
        cancelled=bool(content.get("isCancelled")) if content.get("isCancelled") is not None else None,
        **susanavet_fields(content, info),
        extras=extras,
    )


def lang_strings_all(value: Any) -> list[str]:
    """Every value of a LangString, e.g. keywords (one node per word)."""
    nodes = (value or {}).get("strings") or [] if isinstance(value, dict) else []
    return [
        n["value"].strip()
        for n in nodes
        if isinstance(n, dict) and isinstance(n.get("value"), str) and n["value"].strip()
    ]


# --- Planned Educations --------------------------------------------------------------------
def planned_date(value: Any) -> tuple[str | None, bool]:
    """(ISO date, continuous admission) from the three formats seen:
    '2024-10-15T00:00:00.000+02:00', '2024-11-28T23:59:59', '2099-12-31T00:00:00' (sentinel)."""
    day = iso_date(value)
    if day == CONTINUOUS_ADMISSION:
        return None, True
    return day, False


_LOST_BREAK = re.compile(r"([a-zåäöé0-9)][.!?])([A-ZÅÄÖ][a-zåäö])")


def _restore_sentence_breaks(text: Any) -> str | None:
    """Planned Educations loses paragraph breaks: "...mjukvaror.Du är..." -> "...mjukvaror. Du är..."."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _LOST_BREAK.sub(r"\1 \2", text.strip())


def planned_event_to_course(event: dict[str, Any], detail: dict[str, Any] | None, api_base: str) -> Course:
    """One listed adult-education event (and its detail body, when fetched) -> Course."""
    if not isinstance(event, dict) or not isinstance(event.get("educationEventId"), str):
        raise ExtractionError("the event has no educationEventId")
    event_id = event["educationEventId"].strip()
    detail = detail if isinstance(detail, dict) else {}
    title = uncdata(detail.get("studyPathName")) or uncdata(event.get("titleSv"))
    description = _restore_sentence_breaks(detail.get("educationEventDescription"))
    last_application, continuous = planned_date(event.get("lastApplicationDate") or detail.get("lastApplicationDate"))
    condition = str(event.get("executionCondition")) if event.get("executionCondition") is not None else None
    pace = number(event.get("paceOfStudy") if event.get("paceOfStudy") is not None else detail.get("paceOfStudy"))
    system = event.get("creditsSystem") or detail.get("creditsSystem")
    languages = [
        lang_code(l) for l in re.split(r"[,\s]+", str(detail.get("instructionLanguages") or "")) if lang_code(l)
    ]
    contact = detail.get("contactInfo") or {}
    distance = event.get("distance") if event.get("distance") is not None else detail.get("distance")
    extras = {
        "type_of_school": event.get("typeOfSchool") or detail.get("typeOfSchool"),
        "county": event.get("county"),
        "town": event.get("town") or detail.get("town"),
        "contractor": event.get("contractor"),
        "organizer": detail.get("organizerName"),
        "credit_system": system,
        "execution_condition": condition,
        "recommended_prior_knowledge": event.get("recommendedPriorKnowledge"),
        "requirements": detail.get("requirements"),
        "eligible_for_student_aid": detail.get("eligibleForStudentAid"),
        "time_of_study": detail.get("timeOfStudy"),
    }
    extras = {k: v for k, v in extras.items() if v not in (None, [], {}, "")}
    start_date = iso_date(event.get("semesterStartFrom") or detail.get("semesterStartFrom"))
    source_url = f"{api_base}/adult-education-events/{event_id}"
    return Course(
        source_id=event_id,
        source_url=source_url,
        # The provider's page for the event when the detail gives one; else the API document.
        # the provider's page for it; never the API document (that is source_url): a student
        # cannot use it, and the register has no public page per event
        url=public_url(contact.get("web")),
        title=title,
        title_lang="sv" if title else None,
        title_i18n={"sv": title} if title else {},
        description=description,
        description_lang="sv" if description else None,
        description_i18n={"sv": description} if description else {},
        provider_name=event.get("providerName") or detail.get("providerName"),
        municipality_code=scb_code(event.get("geographicalAreaCode") or detail.get("geographicalAreaCode")),
        municipality=event.get("municipality") or detail.get("municipality"),
        region=event.get("county"),
        mode="distance" if distance is True else ("campus" if distance is False else None),
        education_type_source=event.get("typeOfSchool") or detail.get("typeOfSchool"),
        credits=number(event.get("credits") if event.get("credits") is not None else detail.get("credits")),
        credit_unit=CREDIT_SYSTEMS.get(system or "", system),
        instruction_languages=languages,
        pace_percent=int(round(pace)) if pace is not None and 0 < pace <= 100 else None,
        start_date=start_date,
        start_term=term_of(start_date) if start_date else ("individual" if condition == "2" else None),
        rolling_admission=True if (continuous or condition == "2") else None,
        application_end=last_application,
        fee_amount=number(detail.get("fee")),
        extras=extras,
    )
