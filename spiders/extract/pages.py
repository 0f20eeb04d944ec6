"""Reading facts out of provider web pages: dates, credits, prices, languages and the key:value
blocks that Finnish, Swedish and English course pages use ("Aika: 2.5.-30.8.2023",
"Omfattning: 7,5 hp", "Price: EUR 12 / credit").

Pure functions of text; no Scrapy. Every parser returns None (or an empty result) for text it
does not understand, so the caller can count the field as missing or unreadable and never
guesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bs4 import BeautifulSoup, Tag

# --- dates ---------------------------------------------------------------------------------
_FI_MONTH_STEMS = [
    "tammi",
    "helmi",
    "maalis",
    "huhti",
    "touko",
    "kesä",
    "heinä",
    "elo",
    "syys",
    "loka",
    "marras",
    "joulu",
]
_SV_MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
_EN_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for number, (stem, sv, en) in enumerate(zip(_FI_MONTH_STEMS, _SV_MONTHS, _EN_MONTHS, strict=False), 1):
        names[stem + "kuu"] = number  # toukokuu, toukokuuta, toukokuussa: the suffix is matched by \w*
        names[stem + "k"] = number  # touko­k. (abbreviation)
        names[sv] = number
        names[en] = number
        names[sv[:3]] = number
        names[en[:3]] = number
    names["sept"] = 9
    names["okt"] = 10
    return names


MONTHS = _month_names()
_MONTH = "(?P<{name}>" + "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True)) + r")\w*\.?"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th|:e|:a|\.)?"
_YEAR = r"(?P<{name}>(?:19|20)\d\d)"
# one date in any of the forms the pages use; a missing year is taken from the range's end
_DATE_FORMS = [
    r"{y1}-(?P<m1>[01]\d)-(?P<d1>[0-3]\d)".format(y1=_YEAR.format(name="y1")),
    r"(?P<d2>[0-3]?\d)\.(?P<m2>[01]?\d)\.(?:{y2}|(?P<yy2>\d\d)(?!\d))?".format(y2=_YEAR.format(name="y2")),
    r"{d3}\s*(?:of\s+)?{m3}(?:\s*,?\s*{y3})?".format(
        d3=_DAY.format(name="d3"), m3=_MONTH.format(name="m3"), y3=_YEAR.format(name="y3")
    ),
    r"{m4}\s+{d4}(?:\s*,\s*{y4})?".format(
        m4=_MONTH.format(name="m4"), d4=_DAY.format(name="d4"), y4=_YEAR.format(name="y4")
    ),
]
_DATE = re.compile(r"(?<![\w.])(?:" + "|".join(f"(?:{form})" for form in _DATE_FORMS) + r")", re.IGNORECASE)
# "2-6 maj 2027", "12.-16.1.2027": the first day shares the month and year of the second date
_DAY_BEFORE_RANGE = re.compile(r"(?<![\w.])([0-3]?\d)\.?\s*[-–—]\s*(?=[0-3]?\d(?:\.|\s))")


def _month(name: str) -> int | None:
    name = name.lower().rstrip(".")
    for length in range(len(name), 2, -1):
        if name[:length] in MONTHS:
            return MONTHS[name[:length]]
    return None


@dataclass
class _Found:
    day: int
    month: int
    year: int | None
    end: int  # where the date ends in the text


def _dates_in(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _DATE.finditer(text):
        g = match.groupdict()
        if g["y1"]:
            day, month, year = int(g["d1"]), int(g["m1"]), int(g["y1"])
        elif g["d2"]:
            day, month = int(g["d2"]), int(g["m2"])
            year = int(g["y2"]) if g["y2"] else (2000 + int(g["yy2"]) if g["yy2"] else None)
        elif g["d3"]:
            day, month, year = int(g["d3"]), _month(g["m3"]), int(g["y3"]) if g["y3"] else None
        else:
            day, month, year = int(g["d4"]), _month(g["m4"]), int(g["y4"]) if g["y4"] else None
        if month and 1 <= month <= 12 and 1 <= day <= 31:
            found.append(_Found(day, month, year, match.end()))
    return found


def _iso(day: int, month: int, year: int | None) -> str | None:
    if year is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def date_range(text: str | None) -> tuple[str | None, str | None]:
    """The first and, when the text gives a range, the last date of a period in Finnish,
    Swedish or English writing, as ISO dates: "2.5.-30.8.2023" -> (2023-05-02, 2023-08-30);
    "2–6 maj 2027", "23rd April 2023", "12. tammikuuta 2027 – 3. maaliskuuta 2027",
    "2027-01-12". A date without a year takes the year of the date after it (the year before
    when its month is later). (None, None) when the text names no date."""
    if not text:
        return None, None
    text = _DAY_BEFORE_RANGE.sub(lambda m: f"{m.group(1)}@ – ", text, count=1)
    shared_day = re.search(r"(?<![\w.])([0-3]?\d)@", text)
    found = _dates_in(text.replace("@", ""))
    if shared_day and found:
        first = found[0]
        found.insert(0, _Found(int(shared_day.group(1)), first.month, first.year, 0))
    if not found:
        return None, None
    for index in range(len(found) - 2, -1, -1):  # fill missing years from the right
        here, after = found[index], found[index + 1]
        if here.year is None and after.year is not None:
            here.year = after.year - 1 if here.month > after.month else after.year
    start = _iso(found[0].day, found[0].month, found[0].year)
    end = _iso(found[-1].day, found[-1].month, found[-1].year) if len(found) > 1 else None
    return start, end


def one_date(text: str | None) -> str | None:
    """The first date a text names ("Enrolment by: 23rd April 2023" -> 2023-04-23)."""
    return date_range(text)[0]


# --- credits -------------------------------------------------------------------------------
# Unit words as pages write them -> the project's credit units (pipelines.vocabularies.ECTS)
CREDIT_UNITS = {
    "op": "opintopiste",
    "opintopiste": "opintopiste",
    "opintopistettä": "opintopiste",
    "opintopistettä.": "opintopiste",
    "sp": "opintopiste",
    "studiepoäng": "opintopiste",
    "studiepoang": "opintopiste",
    "osp": "osaamispiste",
    "osaamispiste": "osaamispiste",
    "osaamispistettä": "osaamispiste",
    "kompetenspoäng": "osaamispiste",
    "hp": "högskolepoäng",
    "högskolepoäng": "högskolepoäng",
    "yh-poäng": "yh-poäng",
    "yhp": "yh-poäng",
    "ects": "ects",
    "ects credits": "ects",
    "ects credit": "ects",
    "ects-credits": "ects",
    "ects-poäng": "ects",
    "credits": "ects",
    "credit": "ects",
    "cr": "ects",
}
_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = "|".join(sorted((re.escape(u) for u in CREDIT_UNITS), key=len, reverse=True))
_CREDITS = re.compile(
    rf"(?P<low>{_NUMBER})(?:\s*[-–—]\s*(?P<high>{_NUMBER}))?\s*(?P<unit>{_UNIT})(?![\w-])", re.IGNORECASE
)


@dataclass
class Credits:
    credits: float
    unit: str | None
    minimum: float | None = None  # "3-5 op": 3 (credits holds the upper bound)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def credits(text: str | None) -> Credits | None:
    """Credits and their unit: "5 ECTS credits", "5 op", "7,5 hp", "3–5 opintopistettä",
    "15 osp". A bare number ("Extent: 5") gives the number without a unit. None when the text
    states no amount."""
    if not text:
        return None
    match = _CREDITS.search(text)
    if match:
        low, high = _number(match["low"]), _number(match["high"]) if match["high"] else None
        unit = CREDIT_UNITS[match["unit"].lower()]
        return Credits(high, unit, low) if high is not None else Credits(low, unit)
    bare = re.fullmatch(rf"\s*({_NUMBER})\s*", text)
    return Credits(_number(bare[1]), None) if bare else None


# --- prices --------------------------------------------------------------------------------
_FREE = re.compile(
    r"\b(free of charge|free|no fee|maksuton|ilmainen|maksutonta|avgiftsfri|kostnadsfri|gratis)\b", re.IGNORECASE
)
_CURRENCY = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euroa": "EUR",
    "e": "EUR",
    "kr": "SEK",
    "sek": "SEK",
    "kronor": "SEK",
    ":-": "SEK",
}
_CURRENCY_WORD = r"(?P<{name}>€|eur(?:o|oa)?|sek|kr(?:onor)?|:-)"
_PRICE = re.compile(
    r"(?:{c1}\s*(?P<a1>\d[\d\s]*(?:[.,]\d+)?)|(?P<a2>\d[\d\s]*(?:[.,]\d+)?)\s*{c2})".format(
        c1=_CURRENCY_WORD.format(name="c1"), c2=_CURRENCY_WORD.format(name="c2")
    ),
    re.IGNORECASE,
)
_PER = re.compile(
    r"/\s*(op|opintopiste|credit|ects|hp|osp)\b|per\s+(credit|op|hp)\b|(?:euroa|€)\s*/\s*(op)\b", re.IGNORECASE
)


@dataclass
class Price:
    amount: float | None
    currency: str | None
    per: str | None = None  # "credit" when the price is per credit


def price(text: str | None) -> Price | None:
    """ "EUR 12 / credit" -> 12 EUR per credit; "120 €", "1 200 kr", "Maksuton" -> 0. None when
    the text names no price."""
    if not text:
        return None
    match = _PRICE.search(text)
    if match:
        amount = _number(re.sub(r"\s", "", match["a1"] or match["a2"]))
        currency = _CURRENCY[(match["c1"] or match["c2"]).lower()]
        return Price(amount, currency, "credit" if _PER.search(text) else None)
    if _FREE.search(text):
        return Price(0.0, None)
    return None


# --- languages and modes -------------------------------------------------------------------
LANGUAGE_NAMES = {
    "fi": "fi",
    "fin": "fi",
    "finnish": "fi",
    "suomi": "fi",
    "suomeksi": "fi",
    "finska": "fi",
    "suomenkielinen": "fi",
    "sv": "sv",
    "swe": "sv",
    "swedish": "sv",
    "ruotsi": "sv",
    "ruotsiksi": "sv",
    "svenska": "sv",
    "ruotsinkielinen": "sv",
    "en": "en",
    "eng": "en",
    "english": "en",
    "englanti": "en",
    "englanniksi": "en",
    "engelska": "en",
    "englanninkielinen": "en",
    "se": "se",
    "sami": "se",
    "saame": "se",
    "samiska": "se",
    "de": "de",
    "german": "de",
    "saksa": "de",
    "tyska": "de",
}


def languages(value: str | Iterable[str] | None) -> list[str]:
    """ISO 639-1 codes from language tags or names: "fi-FI", "English", "suomi ja englanti",
    "svenska/engelska". Unknown words are left out."""
    if not value:
        return []
    parts = [value] if isinstance(value, str) else list(value)
    found: list[str] = []
    for part in parts:
        for word in re.split(r"[\s,/;&+]+|\b(?:ja|och|and)\b", str(part).lower()):
            code = LANGUAGE_NAMES.get(word.split("-")[0].split("_")[0].strip(" .()"))
            if code and code not in found:
                found.append(code)
    return found


_MODES = [
    ("blended", r"blended|hybrid|monimuoto|flerform|hybridi|delvis på distans"),
    ("online", r"online|virtual|verkko|etä|distans|remote|webinar|zoom|teams"),
    ("campus", r"on[- ]?site|onsite|campus|lähi|classroom|närundervisning|på plats|kampus"),
]


def study_mode(value: str | None) -> str | None:
    """campus, online or blended from a page's words or schema.org courseMode ("online",
    "onsite", "Verkko-opinnot", "Distans", "Monimuoto"); None when it says neither."""
    if not value:
        return None
    for mode, words in _MODES:
        if re.search(words, value, re.IGNORECASE):
            return mode
    return None


# --- HTML ----------------------------------------------------------------------------------
def soup(html: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


_BLOCK_TAGS = ("p", "li", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dt", "dd", "section", "article")


def text_of(node: Tag | str | None) -> str:
    """A node's (or an HTML fragment's) visible text with its blocks on separate lines, scripts
    and styles left out. The node itself is not changed."""
    if node is None:
        return ""
    return _visible_text(soup(str(node)))


def _visible_text(tree: Tag) -> str:
    """``text_of`` of a tree this module owns (it is changed: scripts dropped, blocks split)."""
    for tag in tree(["script", "style", "noscript", "template"]):
        tag.decompose()
    for tag in tree.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in tree.get_text().splitlines())
    return "\n".join(line for line in lines if line)


# Labels of key:value blocks in the three languages -> the field they state.
LABELS = {
    "dates": [
        "time",
        "dates",
        "date",
        "duration",
        "period",
        "implementation",
        "aika",
        "ajankohta",
        "toteutusaika",
        "toteutus",
        "kesto",
        "opetusaika",
        "tid",
        "datum",
        "period",
        "kurstid",
        "studietid",
        "kursperiod",
    ],
    "start": [
        "start",
        "starts",
        "start date",
        "begins",
        "alkaa",
        "alkamisaika",
        "alkamispäivä",
        "kursstart",
        "startdatum",
        "start datum",
        "börjar",
    ],
    "place": [
        "place",
        "location",
        "venue",
        "campus",
        "paikka",
        "toteutuspaikka",
        "opetuspaikka",
        "paikkakunta",
        "plats",
        "ort",
        "studieort",
        "kursort",
        "studieort/plats",
    ],
    "credits": [
        "extent",
        "scope",
        "credits",
        "size",
        "laajuus",
        "opintopisteet",
        "omfattning",
        "poäng",
        "högskolepoäng",
    ],
    "enrolment_end": [
        "enrolment by",
        "enrollment by",
        "registration by",
        "application deadline",
        "apply by",
        "enrolment",
        "registration",
        "ilmoittautuminen",
        "ilmoittaudu viimeistään",
        "ilmoittautuminen päättyy",
        "haku päättyy",
        "hakuaika",
        "sista anmälningsdag",
        "anmälan senast",
        "anmälan",
        "sista ansökningsdag",
        "ansökan",
    ],
    "price": [
        "price",
        "fee",
        "cost",
        "costs",
        "hinta",
        "maksu",
        "osallistumismaksu",
        "kurssimaksu",
        "pris",
        "avgift",
        "kostnad",
        "kursavgift",
    ],
    "language": [
        "language",
        "language of instruction",
        "teaching language",
        "kieli",
        "opetuskieli",
        "toteutuskieli",
        "språk",
        "undervisningsspråk",
    ],
    "mode": [
        "mode",
        "study mode",
        "format",
        "mode of study",
        "toteutustapa",
        "opetusmuoto",
        "opiskelumuoto",
        "studieform",
        "undervisningsform",
        "distans/plats",
    ],
    "provider": [
        "organiser",
        "organizer",
        "provider",
        "järjestäjä",
        "toteuttaja",
        "anordnare",
        "arrangör",
        "utbildningsanordnare",
    ],
    "code": ["course code", "code", "tunnus", "opintojakson tunnus", "toteutuksen tunnus", "kurskod", "kod"],
    "credential": ["qualification", "degree", "certificate", "tutkinto", "todistus", "examen", "intyg"],
}
LABEL_FIELDS = {label: key for key, labels in LABELS.items() for label in labels}
_KEY_VALUE_LINE = re.compile(r"^\s*([^:\n]{2,40}?)\s*:\s*(.+?)\s*$")


def _label(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(":").strip()).lower()


def key_values(node: Tag | str | None) -> dict[str, str]:
    """The facts a key:value block states, keyed by field (``LABELS``): definition lists
    (dt/dd), two-cell table rows (th/td or td/td) and "Label: value" lines alike; a label not
    known in any language is kept under its own lower-case text. The first value of a field
    wins (a page that repeats a label in its footer does not override the course facts)."""
    if node is None:
        return {}
    found: dict[str, str] = {}

    def add(label: str, value: str) -> None:
        label, value = _label(label), re.sub(r"\s+", " ", value).strip()
        if label and value:
            found.setdefault(LABEL_FIELDS.get(label, label), value)

    node = soup(str(node))  # a copy (or the fragment parsed): the pairs are rewritten as lines below
    # dt/dd pairs and two-cell rows become "label: value" lines in place, so every form is
    # read in document order
    for term in node.find_all("dt"):
        definition = term.find_next_sibling("dd")
        if definition is not None:
            term.replace_with(node.new_string(f"\n{term.get_text(' ').strip()}: {definition.get_text(' ').strip()}\n"))
            definition.decompose()
    for row in node.find_all("tr"):
        cells = row.find_all(["th", "td"], recursive=False)
        if len(cells) == 2:
            row.replace_with(node.new_string(f"\n{cells[0].get_text(' ').strip()}: {cells[1].get_text(' ').strip()}\n"))
    for line in _visible_text(node).splitlines():
        match = _KEY_VALUE_LINE.match(line)
        if match and not re.match(r"https?$", match[1], re.IGNORECASE):
            add(match[1], match[2])
    return found


_ONLINE_PLACE = re.compile(r"\b(online|verkossa|verkko|etä|distans|remote|internet|zoom|teams)", re.IGNORECASE)


def listing_fields(facts: dict[str, str]) -> tuple[dict[str, object], dict[str, object]]:
    """Course fields and extras from the facts of a key:value block (``key_values``): the
    period, start, place, credits, enrolment deadline, price, languages, mode, provider and
    code. A fact that is present but unreadable is kept verbatim in the extras under
    ``unread_<field>`` (and so can be counted), never guessed."""
    fields: dict[str, object] = {}
    extras: dict[str, object] = {}
    unread: list[str] = []
    if "dates" in facts or "start" in facts:
        start, end = date_range(facts.get("dates"))
        start = start or one_date(facts.get("start"))
        if start:
            fields["start_date"], fields["end_date"] = start, end
        else:
            unread.append("dates" if "dates" in facts else "start")
    place = facts.get("place")
    if place:
        if _ONLINE_PLACE.search(place):
            fields["mode"] = "online"
        else:
            fields["municipality"] = re.split(r"[,(/]", place)[0].strip()
        extras["place_name"] = place
    if "credits" in facts:
        found = credits(facts["credits"])
        if found:
            fields["credits"], fields["credit_unit"] = found.credits, found.unit
            if found.minimum is not None:
                extras["credits_min"] = found.minimum
        else:
            unread.append("credits")
    if "enrolment_end" in facts:
        period = date_range(facts["enrolment_end"])
        deadline = period[1] or period[0]
        if deadline:
            fields["application_end"] = deadline
            if period[1]:
                fields["application_start"] = period[0]
        else:
            unread.append("enrolment_end")
    if "price" in facts:
        found = price(facts["price"])
        if found:
            fields["fee_amount"], fields["fee_type"] = found.amount, "free" if found.amount == 0 else "fee"
            extras.update({k: v for k, v in (("currency", found.currency), ("fee_per", found.per)) if v})
        else:
            unread.append("price")
    if "language" in facts:
        found_languages = languages(facts["language"])
        if found_languages:
            fields["instruction_languages"] = found_languages
        else:
            unread.append("language")
    if "mode" in facts:
        mode = study_mode(facts["mode"])
        if mode:
            fields["mode"] = mode
        extras["mode_text"] = facts["mode"]
    if "provider" in facts:
        fields["provider_name"] = facts["provider"]
    if "code" in facts:
        extras["course_code"] = facts["code"]
    if "credential" in facts:
        extras["credential"] = facts["credential"]
    for key in unread:
        extras[f"unread_{key}"] = facts[key]
    other = {k: v for k, v in facts.items() if k not in LABELS}
    if other:
        extras["details"] = other
    return fields, extras
