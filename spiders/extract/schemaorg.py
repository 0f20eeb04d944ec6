"""Listings from the schema.org data of a web page: every ``Course``,
``EducationalOccupationalProgram``, ``CourseInstance`` and ``EducationEvent`` in its JSON-LD,
microdata or RDFa (read by extruct), one listing per course instance.

Pure functions; no Scrapy. ``page_listings(html, page)`` is the whole path.

The schema.org properties read (https://schema.org/Course, /CourseInstance,
/EducationalOccupationalProgram, /EducationEvent):

- name, description (with ``@language`` variants) -> title, description and their languages;
- provider / organizer (Organization; its address's addressLocality) -> provider, municipality;
- courseCode -> ``extras.course_code`` (and the register id when it is one);
- educationalCredentialAwarded / occupationalCredentialAwarded -> ``extras.credential``;
- numberOfCredits (a number or a StructuredValue with unitText) -> credits and unit;
- inLanguage -> instruction languages;
- hasCourseInstance: courseMode, courseSchedule, startDate, endDate, location, offers;
- offers (price, priceCurrency) -> fee; timeRequired / timeToComplete -> ``extras.time_required``;
- applicationStartDate / applicationDeadline -> application period.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import extruct
import lxml.etree
import lxml.html

from spiders.extract import pages
from spiders.extract.common import iso_date, term_of, text_fields
from spiders.items import Course

COURSE_TYPES = {"Course", "EducationalOccupationalProgram"}
INSTANCE_TYPES = {"CourseInstance", "EducationEvent"}
_SCHEMA = re.compile(r"^(?:https?://schema\.org/|schema:)")
# the register ids a page may cite: an Opintopolku OID (toteutus 1.2.246.562.17.*, koulutus
# .13.*), a Susa-navet event id
_REGISTER_ID = re.compile(r"\b(1\.2\.246\.562\.(?:13|17)\.\d{5,})\b|\b(?:susa|event)[:/ ]+([\w.-]{6,})", re.IGNORECASE)


@dataclass
class Page:
    """What the spider knows about the page beside its content. The site's own facts (country,
    provider, municipality) for what a page leaves out are filled in by the spider
    (``ProviderSiteSpider._stamp``), the same for every way of reading a page."""

    url: str  # the page's public address: every listing's ``url``
    languages: list[str] = field(default_factory=lambda: ["fi", "sv", "en"])  # order of preference


def _short(name: str) -> str:
    return _SCHEMA.sub("", name)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {_short(k) for k in kinds if isinstance(k, str)}


def _compact_rdfa(graph: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """extruct's RDFa comes as expanded JSON-LD (full property IRIs, every value a list of
    {"@value"} or {"@id"}): the same compact shape as the JSON-LD and microdata, references
    resolved to the nodes they name."""
    by_id = {n.get("@id"): n for n in graph if isinstance(n, dict)}
    referenced: set[str] = set()

    def compact(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": sorted(_types(node))} if node.get("@type") else {}
        for key, values in node.items():
            if key.startswith("@") or not _SCHEMA.match(key):
                continue
            items = []
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, dict) and "@value" in value:
                    items.append(
                        {"@value": value["@value"], "@language": value["@language"]}
                        if value.get("@language")
                        else value["@value"]
                    )
                elif isinstance(value, dict) and value.get("@id") in by_id and value["@id"] not in path:
                    referenced.add(value["@id"])
                    items.append(compact(by_id[value["@id"]], path + (value["@id"],)))
                elif isinstance(value, dict) and "@id" in value:
                    items.append(value["@id"])
            out[_short(key)] = items[0] if len(items) == 1 else items
        return out

    typed = [n for n in graph if isinstance(n, dict) and n.get("@type")]
    compacted = [compact(n, (n.get("@id"),)) for n in typed]  # fills ``referenced``
    return [node for raw, node in zip(typed, compacted, strict=False) if raw.get("@id") not in referenced]


def _flatten(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Top-level nodes, with @graph lists opened and nodes nested in pages (mainEntity,
    hasPart, itemListElement) brought up."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        elif isinstance(item, dict):
            if "@graph" in item:
                out.extend(_flatten(item["@graph"]))
            if item.get("@type"):
                out.append(item)
            for key in ("mainEntity", "hasPart", "itemListElement", "item", "about"):
                if key in item and not _types(item) & (COURSE_TYPES | INSTANCE_TYPES):
                    out.extend(_flatten(item[key] if isinstance(item[key], list) else [item[key]]))
    return out


def structured_nodes(html: str, url: str) -> list[dict[str, Any]]:
    """Every schema.org node of the page with a type, JSON-LD first, then microdata, then
    RDFa. References by @id within a syntax are resolved."""
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata", "rdfa"], uniform=True, errors="log")
    json_ld = _flatten(data.get("json-ld") or [])
    by_id = {n["@id"]: n for n in json_ld if isinstance(n.get("@id"), str) and len(n) > 1}

    def resolve(value: Any, depth: int = 0) -> Any:
        if depth > 8:
            return value
        if isinstance(value, dict):
            if set(value) == {"@id"} and value["@id"] in by_id:
                return resolve(by_id[value["@id"]], depth + 1)
            return {k: resolve(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, depth + 1) for v in value]
        return value

    nodes = [resolve(n) for n in json_ld]
    nodes += _flatten(data.get("microdata") or [])
    nodes += _compact_rdfa(data.get("rdfa") or [])
    return nodes


# --- values --------------------------------------------------------------------------------
def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _texts(value: Any, default_lang: str) -> dict[str, str]:
    """{lang: text} from a string, a {"@value", "@language"} or a list of them."""
    out: dict[str, str] = {}
    for item in _list(value):
        if isinstance(item, dict):
            text, lang = item.get("@value"), (item.get("@language") or default_lang)
        else:
            text, lang = item, default_lang
        if isinstance(text, (str, int, float)) and str(text).strip():
            out.setdefault(str(lang).split("-")[0].lower(), str(text).strip())
    return out


def _text(value: Any) -> str | None:
    """The first text of a value; for a Thing, its name."""
    for item in _list(value):
        if isinstance(item, dict):
            found = _text(item.get("name")) if "name" in item else _text(item.get("@value"))
        else:
            found = str(item).strip() if isinstance(item, (str, int, float)) and str(item).strip() else None
        if found:
            return found
    return None


def _first_dict(value: Any) -> dict[str, Any]:
    return next((v for v in _list(value) if isinstance(v, dict)), {})


def _locality(thing: Any) -> str | None:
    """A Place's or Organization's town: address.addressLocality (or a text address)."""
    node = _first_dict(thing)
    address = node.get("address")
    if isinstance(address, dict):
        return _text(address.get("addressLocality"))
    return None


def _credits(course: dict[str, Any], instance: dict[str, Any]) -> pages.Credits | None:
    for value in (instance.get("numberOfCredits"), course.get("numberOfCredits")):
        for item in _list(value):
            if isinstance(item, dict):
                amount, unit = item.get("value"), _text(item.get("unitText")) or _text(item.get("unitCode"))
                parsed = pages.credits(f"{amount} {unit}" if unit else str(amount))
            else:
                parsed = pages.credits(str(item))
            if parsed:
                return parsed
    return None


def _price(offers: Any) -> tuple[float | None, str | None, str | None]:
    for offer in _list(offers):
        if not isinstance(offer, dict):
            continue
        amount = offer.get("price")
        specification = _first_dict(offer.get("priceSpecification"))
        if amount is None:
            amount = specification.get("price")
        try:
            value = float(str(amount).replace(",", ".").replace(" ", ""))
        except (TypeError, ValueError):
            parsed = pages.price(_text(amount))
            if parsed:
                return parsed.amount, parsed.currency, parsed.per
            continue
        currency = _text(offer.get("priceCurrency")) or _text(specification.get("priceCurrency"))
        unit = _text(specification.get("referenceQuantity")) or _text(specification.get("unitText"))
        return value, currency, "credit" if unit and pages.credits(f"1 {unit}") else None
    return None, None, None


def register_ids(*values: Any) -> list[str]:
    """Opintopolku OIDs and Susa-navet event ids a page cites (in courseCode, identifier, sameAs,
    or its text)."""
    found: list[str] = []
    for value in values:
        for item in _list(value):
            for match in _REGISTER_ID.finditer(_text(item) or ""):
                code = match[1] or match[2]
                if code and code not in found:
                    found.append(code)
    return found


# --- offerings -----------------------------------------------------------------------------
def offerings(nodes: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(course, instance) pairs: each instance of each course; a course without instances is
    one offering of its own; an instance outside any course (an EducationEvent) is one too.
    The same offering given twice (in JSON-LD and microdata: same name, start and place)
    counts once."""
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    inside: list[dict[str, Any]] = []
    seen: set[tuple[str | None, ...]] = set()
    for node in nodes:
        if not _types(node) & COURSE_TYPES:
            continue
        instances = [i for i in _list(node.get("hasCourseInstance")) if isinstance(i, dict)]
        inside.extend(instances)
        for instance in instances or [{}]:
            key = (
                _text(instance.get("name")) or _text(node.get("name")),
                iso_date(_text(instance.get("startDate")) or _text(node.get("startDate"))),
                _text(instance.get("location")),
            )
            if key not in seen:
                seen.add(key)
                pairs.append((node, instance))
    for node in nodes:
        if _types(node) & INSTANCE_TYPES and not any(node is i or node == i for i in inside):
            key = (_text(node.get("name")), iso_date(_text(node.get("startDate"))), _text(node.get("location")))
            if key not in seen:
                seen.add(key)
                pairs.append(({}, node))
    return pairs


def _instance_key(instance: dict[str, Any], course: dict[str, Any], taken: set[str]) -> str:
    """A stable id for an offering within its page: the instance's own id, else its start and
    place; a repeat gets a counter."""
    own = instance.get("@id") if isinstance(instance.get("@id"), str) and not instance["@id"].startswith("_:") else None
    if own:
        key = own.rsplit("#", 1)[-1] if "#" in own else own
    else:
        parts = [
            _text(course.get("courseCode")) or "",
            iso_date(_text(instance.get("startDate")) or _text(course.get("startDate"))) or "",
            _locality(instance.get("location")) or _text(instance.get("location")) or "",
        ]
        key = "/".join(p for p in parts if p) or "course"
    unique, n = key, 2
    while unique in taken:
        unique, n = f"{key}-{n}", n + 1
    taken.add(unique)
    return unique


def offering_to_course(
    course: dict[str, Any], instance: dict[str, Any], page: Page, page_lang: str | None, key: str
) -> Course:
    lang = page_lang or page.languages[0]
    order = [lang] + [l for l in page.languages if l != lang]
    titles = _texts(instance.get("name"), lang) or _texts(course.get("name"), lang)
    descriptions = _texts(instance.get("description"), lang) or _texts(course.get("description"), lang)
    start = iso_date(_text(instance.get("startDate")) or _text(course.get("startDate")))
    end = iso_date(_text(instance.get("endDate")) or _text(course.get("endDate")))
    provider = (
        course.get("provider") or instance.get("organizer") or instance.get("provider") or course.get("organizer")
    )
    location = instance.get("location") or course.get("location")
    location_text = _text(location)
    mode = pages.study_mode(
        " ".join(
            filter(
                None,
                [
                    _text(instance.get("courseMode")),
                    _text(course.get("educationalProgramMode")),
                    "online" if "VirtualLocation" in _types(_first_dict(location)) else None,
                    _text(instance.get("eventAttendanceMode")),
                ],
            )
        )
    )
    credit = _credits(course, instance)
    amount, currency, per = _price(instance.get("offers") or course.get("offers"))
    credential = _text(course.get("educationalCredentialAwarded")) or _text(course.get("occupationalCredentialAwarded"))
    schedule = _first_dict(instance.get("courseSchedule"))
    cited = register_ids(
        course.get("courseCode"),
        course.get("identifier"),
        course.get("sameAs"),
        instance.get("identifier"),
        instance.get("sameAs"),
    )
    extras = {
        "course_code": _text(course.get("courseCode")),
        "credential": credential,
        "schema_types": sorted(_types(course) | _types(instance)),
        "time_required": _text(instance.get("courseWorkload"))
        or _text(course.get("timeRequired"))
        or _text(course.get("timeToComplete")),
        "schedule": {k: _text(v) for k, v in schedule.items() if not k.startswith("@") and _text(v)} or None,
        "place_name": location_text if location_text and not mode == "online" else None,
        "currency": currency if amount else None,
        "fee_per": per,
        "credits_min": credit.minimum if credit else None,
        "register_ids": cited or None,
        "course_url": _text(course.get("url")) if _text(course.get("url")) not in (None, page.url) else None,
    }
    return Course(
        source_id=f"{page.url}#{key}",
        url=page.url,
        source_url=page.url,
        **text_fields(titles, descriptions, order),
        provider_name=_text(provider),
        municipality=_locality(location) or _locality(provider),
        mode=mode,
        education_type_source=min(_types(course) or _types(instance) or {""}) or None,
        credits=credit.credits if credit else None,
        credit_unit=credit.unit if credit else None,
        instruction_languages=pages.languages(
            [_text(v) or "" for v in _list(instance.get("inLanguage") or course.get("inLanguage"))]
            + [
                _text(_first_dict(v).get("alternateName")) or ""
                for v in _list(instance.get("inLanguage") or course.get("inLanguage"))
            ]
        ),
        start_date=start,
        end_date=end,
        start_term=term_of(start) if start else None,
        application_start=iso_date(
            _text(course.get("applicationStartDate")) or _text(instance.get("applicationStartDate"))
        ),
        application_end=iso_date(
            _text(course.get("applicationDeadline")) or _text(instance.get("applicationDeadline"))
        ),
        fee_type=("free" if amount == 0 else "fee") if amount is not None else None,
        fee_amount=amount,
        extras={k: v for k, v in extras.items() if v not in (None, [], {}, "")},
    )


def page_language(html: str) -> str | None:
    """The page's declared language (<html lang="fi-FI"> -> fi)."""
    try:
        lang = lxml.html.fromstring(html.encode("utf-8")).get("lang") if html.strip() else None
    except (ValueError, lxml.etree.ParserError):
        return None
    return lang.split("-")[0].strip().lower()[:2] or None if lang else None


def page_listings(html: str, page: Page) -> list[Course]:
    """Every offering on the page, one listing per course instance."""
    nodes = structured_nodes(html, page.url)
    lang = page_language(html)
    taken: set[str] = set()
    return [
        offering_to_course(course, instance, page, lang, _instance_key(instance, course, taken))
        for course, instance in offerings(nodes)
    ]
