"""Helpers shared by the extractors of several sources."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_SPACE = re.compile(r"\s+")

LIVE, WITHDRAWN, UNKNOWN = "live", "withdrawn", "unknown"


def record_state(value: object, live: set[str], withdrawn: set[str]) -> str:
    """Whether a record's status says it is published (``LIVE``), withdrawn or deleted
    (``WITHDRAWN``), or is outside the source's known vocabulary (``UNKNOWN``: a status the
    source has started to use, a number, a null where a word was). Compared case-insensitively.
    Only a known withdrawn status may remove a listing; an unknown one must change nothing."""
    if not isinstance(value, str):
        return UNKNOWN
    word = value.strip().casefold()
    if word in live:
        return LIVE
    if word in withdrawn:
        return WITHDRAWN
    return UNKNOWN


def normalised(text: str | None) -> str:
    """Text folded for comparison: case, whitespace and tags ignored."""
    if not text:
        return ""
    return _SPACE.sub(" ", re.sub(r"<[^>]+>", " ", text)).strip().casefold()


def first_present(texts: dict[str, str], order: list[str]) -> str | None:
    """The first language in ``order`` that has a text, else any language that has one."""
    for lang in order:
        if texts.get(lang):
            return lang
    return next((lang for lang, text in texts.items() if text), None)


def copied_variants(field_name: str, texts: dict[str, str], primary: str | None) -> list[str]:
    """``field:lang`` for every variant whose text is the primary text again."""
    if not primary or not texts.get(primary):
        return []
    reference = normalised(texts[primary])
    return [
        f"{field_name}:{lang}"
        for lang, text in sorted(texts.items())
        if lang != primary and text and normalised(text) == reference
    ]


def local_to_iso(value: str | None, zone: str) -> str | None:
    """A zone-less local timestamp ("2023-08-21T08:15", "2023-02-14T16:08:47") as ISO 8601 with
    the offset that applied there on that day; None when it cannot be parsed."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.isoformat()


def iso_date(value: str | None) -> str | None:
    """The date part of an ISO date or datetime string, or None."""
    if not value or not isinstance(value, str):
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups())).date().isoformat()
    except ValueError:
        return None


def term_of(day: str) -> str:
    """'2026-08-31' -> '2026-autumn'; January to June is the spring term."""
    return f"{day[:4]}-{'spring' if int(day[5:7]) < 7 else 'autumn'}"


def text_fields(titles: dict[str, str], descriptions: dict[str, str], order: list[str]) -> dict[str, object]:
    """The Course's text fields from every language variant of title and description: the
    primary language is the first of ``order`` with a title; the description is in the same
    language when there is one; variants repeating the primary text are flagged as copies."""
    primary = first_present(titles, order)
    description_lang = primary if descriptions.get(primary or "") else first_present(descriptions, order)
    return {
        "title": titles.get(primary) if primary else None,
        "title_lang": primary,
        "title_i18n": titles,
        "description": descriptions.get(description_lang) if description_lang else None,
        "description_lang": description_lang,
        "description_i18n": descriptions,
        "copied_variants": copied_variants("title", titles, primary)
        + copied_variants("description", descriptions, description_lang),
    }


def public_url(value: object) -> str | None:
    """A web address a person can open, from a provider's contact field: http(s) addresses as
    given, "www.…" ones with https:// in front; anything else (an e-mail address, a phone number,
    text) is no address."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.match(r"https?://[^\s/]+\.[^\s]+$", text, re.IGNORECASE):
        return text
    if re.match(r"www\.[^\s/]+\.[^\s]+$", text, re.IGNORECASE):
        return "https://" + text
    return None


def moment(value: object) -> datetime | None:
    """A point in time from a W3C datetime (sitemap lastmod: "2026-11-01",
    "2026-11-01T10:00:00+02:00") or an HTTP date (Last-Modified, Date), zone-aware (UTC when
    the text has no zone); None when unreadable."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
