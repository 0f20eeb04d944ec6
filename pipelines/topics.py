"""Explainable topic tags for the battery value chain and the green industrial transition.

Each topic has Swedish, Finnish and English terms, each matched in texts of its own language. A term is a stem with how
it may appear in a
word: at the start of a word (``^``: "batteri" in "batterier", "batteriteknik"), anywhere inside
a word for compound heads (``*``: "vätgas" in "fossilfri vätgasproduktion"), or as the whole word
or phrase (``=``); a trailing ``=`` on a stem means the word ends there. Finnish inflection changes stems ("vety" ->
"vedyn"), so both forms are listed. Every tag
keeps the terms that matched and the fields they matched in, so a user sees why it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.base import CrawlerPipeline
from spiders.items import Course

TOPICS: dict[str, dict[str, object]] = {
    "batteries_energy_storage": {
        "label": "Batteries and energy storage",
        "sv": [
            "*batteri",
            "*ackumulator",
            "*energilagr",
            "*energilager",
            "^litium",
            "^lagring av energi",
            "^lagring av el=",
        ],
        "fi": [
            "^akku",
            "^akut=",
            "^akuissa",
            "^akkuj",
            "*ioniakku",
            "*litiumakku",
            "^akuston",
            "*energiavarast",
            "^litium",
            "^energian varastoin",
            "^sähkön varastoin",
            "^sähköenergian varastoin",
        ],
        "en": ["^batter", "=energy storage", "^lithium", "=cell manufacturing", "^gigafactor", "=storage of energy"],
    },
    "electrification_power": {
        "label": "Electrification and power engineering",
        "sv": [
            "^elkraft",
            "*elteknik",
            "^elektrifier",
            "^elinstallat",
            "^elnät",
            "^eldistribution",
            "^elenergi",
            "*energiproduktion",
            "^energisystem",
        ],
        "fi": [
            "^sähkövoima",
            "^sähkötekn",
            "^sähköasen",
            "^sähkö-",
            "^sähköala",
            "^sähköenergi",
            "^sähkönjakelu",
            "^sähköverk",
            "^sähköistys",
            "*energiantuotan",
            "^energiajärjestelm",
        ],
        "en": [
            "^electrification",
            "=power engineering",
            "=electrical engineering",
            "=power systems",
            "=power grid",
            "=electric power",
            "=energy production",
            "=energy systems",
        ],
    },
    "process_chemical": {
        "label": "Process and chemical industry",
        "sv": [
            "^processtekn",
            "^processoperat",
            "^processindustri",
            "^processautomat",
            "^kemitekn",
            "^kemiingenjör",
            "^kemi=",
            "^kemisk",
        ],
        "fi": [
            "^prosessitekn",
            "^prosessiteollisuu",
            "^prosessinhoit",
            "^prosessiautomaat",
            "^kemian",
            "^kemia",
            "*kemianteollisuu",
        ],
        "en": [
            "=process engineering",
            "=process industry",
            "=process automation",
            "=chemical engineering",
            "^chemical",
            "^chemistry",
        ],
    },
    "mining_metallurgy": {
        "label": "Mining and metallurgy",
        "sv": ["^gruv", "^bergtekn", "^mineralteknik", "^metallurg", "^anrikning"],
        "fi": ["^kaivos", "*kaivosteollisuu", "^mineraali", "^rikastus", "^metallurgi"],
        "en": ["=mining", "=mining engineering", "^mineral", "^metallurg"],
    },
    "green_steel": {
        "label": "Green steel",
        "sv": ["=fossilfritt stål", "=grönt stål", "=grön stål", "^stålindustri", "^stålverk", "^hybrit"],
        "fi": ["=vihreä teräs", "=fossiiliton teräs", "^terästeollisuu"],
        "en": ["=green steel", "=fossil-free steel", "^steelmaking", "=steel industry"],
    },
    "hydrogen": {
        "label": "Hydrogen",
        "sv": ["*vätgas", "^väte="],
        "fi": ["^vety", "^vedyn", "^vetyä"],
        "en": ["^hydrogen"],
    },
    "recycling_circular": {
        "label": "Recycling and circular economy",
        "sv": ["*återvinn", "^cirkulär", "^kretslopp"],
        "fi": ["*kierrätyk", "*kierrätys", "*kierrät", "*kiertotalou"],
        "en": ["^recycl", "=circular economy", "^reuse"],
    },
    "automation_maintenance": {
        "label": "Automation and industrial maintenance",
        "sv": ["*automation", "^automatiser", "*underhåll", "^mekatronik", "^robot", "^industriautomat"],
        "fi": ["*automaatio", "^kunnossapi", "^mekatroniik", "^robotiik"],
        "en": ["^automation", "^maintenance", "^mechatronic", "^robotic", "=plc"],
    },
    "welding_mechanical": {
        "label": "Welding and mechanical production",
        "sv": [
            "*svets",
            "^cnc",
            "^maskinteknik",
            "^verkstadsteknik",
            "^plåtslag",
            "^industritekniker",
            "^maskinmekaniker",
            "^additiv tillverkning",
        ],
        "fi": [
            "^hitsa",
            "^hitsau",
            "*hitsaaja",
            "^koneistu",
            "^koneistaja",
            "^konetekniik",
            "^kone-",
            "^tuotantotekniik",
            "^levyseppä",
            "^koneasenta",
            "^3d-valmistu",
            "^cnc",
        ],
        "en": ["^welding", "^welder", "^machining", "=mechanical engineering", "=additive manufacturing", "^cnc"],
    },
}
LANGUAGES = ("sv", "fi", "en")
# Words whose sense depends on their context: "underhåll", "kunnossapito" and "maintenance" are
# industrial maintenance next to a machine, plant or production word, and the upkeep of premises
# in a description of animal care or cleaning ("toimitilojen puhtaana- ja kunnossapitotehtävistä").
# Such a word tags its topic only with a word of NEAR within WINDOW words of it, and none of
# NOT_NEAR there or in the word itself ("fastighetsunderhåll").
WEAK = {"automation_maintenance": {"sv": ("underhåll",), "fi": ("kunnossapi",), "en": ("maintenance",)}}
NEAR = {
    "sv": (
        "industri",
        "maskin",
        "process",
        "anläggning",
        "produktion",
        "tillverkning",
        "fabrik",
        "mekani",
        "elektr",
        "automat",
        "teknisk",
        "hydraulik",
        "pneumatik",
    ),
    "fi": (
        "teollisuu",
        "kone",
        "laite",
        "laitte",
        "tuotanto",
        "tuotannon",
        "tehta",
        "tehdas",
        "prosessi",
        "sähkö",
        "mekaani",
        "automaat",
        "hydrauli",
        "pneumatiik",
    ),
    "en": (
        "industr",
        "machine",
        "equipment",
        "plant",
        "production",
        "manufactur",
        "mechanical",
        "electrical",
        "automation",
        "hydraulic",
        "pneumatic",
    ),
}
NOT_NEAR = {
    "sv": ("fastighet", "lokal", "städ", "trädgård", "park", "bostad"),
    "fi": ("toimitil", "kiinteistö", "siivo", "puhtaana", "piha", "asuin"),
    "en": ("premises", "building", "cleaning", "property", "garden", "housing"),
}
WINDOW = 5
FIELDS = ("title", "description", "title_en", "description_en", "keywords")


_WORD = re.compile(r"\w+(?:-\w+)*-?")


@dataclass(frozen=True)
class Term:
    topic: str
    kind: str  # "^" word starts with, "*" inside a word, "=" the whole word or phrase
    stem: str
    whole: bool  # the word must end where the stem ends


def _term(topic: str, term: str) -> Term:
    kind, stem = term[0], term[1:]
    return Term(topic, kind, stem.rstrip("=").lower(), kind == "=" or stem.endswith("="))


# language -> single-word terms, and phrases (several words: matched on the text)
TERMS = {
    lang: [_term(topic, t) for topic, spec in TOPICS.items() for t in spec.get(lang, []) if " " not in t]
    for lang in LANGUAGES
}
# Word-start and whole-word terms indexed by their first three letters, so a word is compared
# only with the terms that can match it; infix terms are few and checked against every word.
KEY = 3
STARTS = {
    lang: {
        key: [t for t in terms if t.kind != "*" and t.stem[:KEY] == key]
        for key in {t.stem[:KEY] for t in terms if t.kind != "*"}
    }
    for lang, terms in TERMS.items()
}
INFIXES = {lang: [t for t in terms if t.kind == "*"] for lang, terms in TERMS.items()}


def _phrase(term: str) -> re.Pattern:
    """A phrase starts at a word start; it ends at a word end unless it is a ``^`` term without a
    trailing ``=`` ("^energian varastoin" matches "energian varastoinnista")."""
    whole = term[0] == "=" or term.endswith("=")
    return re.compile(rf"(?<!\w){re.escape(term[1:].rstrip('=').lower())}" + (r"(?![\w-])" if whole else r"\w*"))


# (first word, topic, pattern): a phrase is searched for only in texts that contain its first word
PHRASES = {
    lang: [
        (t[1:].split(" ")[0].lower(), topic, _phrase(t))
        for topic, spec in TOPICS.items()
        for t in spec.get(lang, [])
        if " " in t
    ]
    for lang in LANGUAGES
}


def _matches(term: Term, word: str) -> bool:
    if term.kind == "^":
        return word == term.stem if term.whole else word.startswith(term.stem)
    if term.kind == "*":
        return word.endswith(term.stem) if term.whole else term.stem in word
    return word == term.stem


@lru_cache(maxsize=200_000)
def _word_topics(language: str, word: str) -> tuple[str, ...]:
    """The topics one word matches in one language's terms; remembered, since course texts
    reuse a small vocabulary."""
    candidates = STARTS[language].get(word[:KEY], []) + [t for t in INFIXES[language] if t.stem in word]
    return tuple(dict.fromkeys(t.topic for t in candidates if _matches(t, word)))


@dataclass(frozen=True)
class Tag:
    topic: str
    terms: tuple[str, ...]  # the words of the text that matched
    fields: tuple[str, ...]


# per topic of WEAK: its context-dependent stems, and its other terms (which need no context)
WEAK_STEMS = {topic: tuple(stem for stems in by_lang.values() for stem in stems) for topic, by_lang in WEAK.items()}
STRONG_TERMS = {
    topic: [
        t for lang in LANGUAGES for t in TERMS[lang] if t.topic == topic and not any(stem in t.stem for stem in stems)
    ]
    for topic, stems in WEAK_STEMS.items()
}


def _weak(topic: str, word: str) -> bool:
    """Whether the word tags the topic only through a context-dependent stem (WEAK)."""
    if not any(stem in word for stem in WEAK_STEMS.get(topic, ())):
        return False
    return not any(_matches(t, word) for t in STRONG_TERMS[topic])


def _in_context(word: str, texts: dict[str, tuple[str | None, str | None]]) -> bool:
    """Whether some occurrence of ``word`` in the texts has a NEAR word within WINDOW words and no
    NOT_NEAR word there or inside the word itself."""
    near = tuple(stem for stems in NEAR.values() for stem in stems)
    not_near = tuple(stem for stems in NOT_NEAR.values() for stem in stems)
    if any(stem in word for stem in not_near):
        return False
    if any(
        stem in word for stem in near + ("tekni",)
    ):  # a compound that says it: underhållstekniker, kunnossapitoteknikko
        return True
    for text, _ in texts.values():
        words = _WORD.findall((text or "").lower())
        for i, candidate in enumerate(words):
            if candidate != word:
                continue
            around = words[max(0, i - WINDOW) : i] + words[i + 1 : i + 1 + WINDOW]
            if any(w.startswith(not_near) for w in around):
                continue
            if any(w.startswith(near) or any(stem in w for stem in near if len(stem) > 5) for w in around):
                return True
    return False


def tag_texts(texts: dict[str, tuple[str | None, str | None]]) -> list[Tag]:
    """Topic tags for a listing's texts (field -> (text, language)), with the evidence. Swedish
    and Finnish terms are matched only in texts of that language ("akut" is Finnish for
    batteries but Swedish for acute); a text of unknown language is matched against all."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for field, (text, lang) in texts.items():
        if not text:
            continue
        lower = text.lower()
        words = set(_WORD.findall(lower))
        # English terms apply everywhere: Swedish and Finnish course names often carry English ones
        for language in sorted({lang, "en"}) if lang in TERMS else LANGUAGES:
            for word in words:
                for topic in _word_topics(language, word):
                    terms, fields = found.setdefault(topic, (set(), set()))
                    terms.add(word)
                    fields.add(field)
            for first, topic, phrase in PHRASES[language]:
                if first not in words:
                    continue
                match = phrase.search(lower)
                if match:
                    terms, fields = found.setdefault(topic, (set(), set()))
                    terms.add(match.group(0))
                    fields.add(field)
    order = list(TOPICS)
    for topic in [t for t in found if t in WEAK]:
        terms, fields = found[topic]
        kept = {term for term in terms if not _weak(topic, term) or _in_context(term, texts)}
        if kept:
            found[topic] = (kept, fields)
        else:
            del found[topic]
    return [
        Tag(topic, tuple(sorted(terms)), tuple(f for f in FIELDS if f in fields))
        for topic, (terms, fields) in sorted(found.items(), key=lambda kv: order.index(kv[0]))
    ]


def course_texts(item: Course) -> dict[str, tuple[str | None, str | None]]:
    keywords = item.extras.get("keywords") or []
    return {
        "title": (item.title, item.title_effective_lang or item.title_lang),
        "description": (item.description, item.description_effective_lang or item.description_lang),
        "title_en": (item.title_en, "en"),
        "description_en": (item.description_en, "en"),
        "keywords": (" ; ".join(keywords) if keywords else None, item.title_lang),
    }


class TopicsPipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        # the label goes with the tag, so the store writes course_topics without knowing the topics
        item.topics = [
            {"topic": t.topic, "label": TOPICS[t.topic]["label"], "terms": list(t.terms), "fields": list(t.fields)}
            for t in tag_texts(course_texts(item))
        ]
        for tag in item.topics:
            self.count(f"topics/{tag['topic']}")
        return item
