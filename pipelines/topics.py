"""Explainable topic tags for the battery value chain and the green industrial transition.

Each topic has Swedish, Finnish and English terms, each matched in texts of its own language. A term is a stem with how it may appear in a
word: at the start of a word (``^``: "batteri" in "batterier", "batteriteknik"), anywhere inside
a word for compound heads (``*``: "vätgas" in "fossilfri vätgasproduktion"), or as the whole word
(``=``). Finnish inflection changes stems ("vety" -> "vedyn"), so both forms are listed. Every tag
keeps the terms that matched and the fields they matched in, so a user sees why it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.base import CrawlerPipeline
from spiders.items import Course

TOPICS: dict[str, dict[str, object]] = {
    "batteries_energy_storage": {
        "label": "Batteries and energy storage",
        "sv": ["*batteri", "*ackumulator", "*energilagring", "^litium"],
        "fi": ["^akku", "^akut=", "^akuissa", "^akkuj", "*ioniakku", "*litiumakku", "^akuston", "*energiavarast", "^litium"],
        "en": ["^batter", "=energy storage", "^lithium", "=cell manufacturing", "^gigafactor"],
    },
    "electrification_power": {
        "label": "Electrification and power engineering",
        "sv": ["^elkraft", "*elteknik", "^elektrifier", "^elinstallat", "^elnät", "^eldistribution", "^elenergi", "*energiproduktion",
               "^energisystem"],
        "fi": ["^sähkövoima", "^sähkötekn", "^sähköasen", "^sähkö-", "^sähköala", "^sähköenergi", "^sähkönjakelu", "^sähköverk",
               "^sähköistys", "*energiantuotan", "^energiajärjestelm"],
        "en": ["^electrification", "=power engineering", "=electrical engineering", "=power systems", "=power grid", "=electric power",
               "=energy production", "=energy systems"],
    },
    "process_chemical": {
        "label": "Process and chemical industry",
        "sv": ["^processtekn", "^processoperat", "^processindustri", "^processautomat", "^kemitekn", "^kemiingenjör", "^kemi=", "^kemisk"],
        "fi": ["^prosessitekn", "^prosessiteollisuu", "^prosessinhoit", "^prosessiautomaat", "^kemian", "^kemia", "*kemianteollisuu"],
        "en": ["=process engineering", "=process industry", "=process automation", "=chemical engineering", "^chemical", "^chemistry"],
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
        "sv": ["*svets", "^cnc", "^maskinteknik", "^verkstadsteknik", "^plåtslag", "^industritekniker", "^maskinmekaniker",
               "^additiv tillverkning"],
        "fi": ["^hitsa", "^hitsau", "*hitsaaja", "^koneistu", "^koneistaja", "^konetekniik", "^kone-", "^tuotantotekniik", "^levyseppä",
               "^koneasenta", "^3d-valmistu", "^cnc"],
        "en": ["^welding", "^welder", "^machining", "=mechanical engineering", "=additive manufacturing", "^cnc"],
    },
}
LANGUAGES = ("sv", "fi", "en")
FIELDS = ("title", "description", "title_en", "description_en", "keywords")


def _pattern(term: str) -> str:
    """^stem: word starts with stem; *stem: stem anywhere in a word; =phrase: the whole word(s);
    a trailing = on a stem means the word ends there too."""
    kind, stem = term[0], term[1:]
    whole_end = stem.endswith("=")
    stem = re.escape(stem.rstrip("="))
    end = r"(?![\w-])" if whole_end or kind == "=" else r"\w*"
    if kind == "^":
        return rf"(?<!\w){stem}{end}"
    if kind == "*":
        return rf"\w*{stem}{end}"
    return rf"(?<!\w){stem}(?!\w)"


# language -> topic -> one pattern of all its terms; a text of unknown language is matched
# against every language
COMPILED = {
    lang: {
        topic: [re.compile("|".join(_pattern(t) for t in spec[lang]), re.IGNORECASE)]
        for topic, spec in TOPICS.items() if spec.get(lang)
    }
    for lang in LANGUAGES
}


@dataclass(frozen=True)
class Tag:
    topic: str
    terms: tuple[str, ...]  # the words of the text that matched
    fields: tuple[str, ...]


def tag_texts(texts: dict[str, tuple[str | None, str | None]]) -> list[Tag]:
    """Topic tags for a listing's texts (field -> (text, language)), with the evidence. Terms of
    a language are matched only in texts of that language ("akut" is Finnish for batteries but
    Swedish for acute); a text of unknown language is matched against all of them."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for field, (text, lang) in texts.items():
        if not text:
            continue
        # English terms apply everywhere: Swedish and Finnish course names often carry English ones
        for language in (sorted({lang, "en"}) if lang in COMPILED else LANGUAGES):
            for topic, patterns in COMPILED[language].items():
                for pattern in patterns:
                    for match in pattern.finditer(text):
                        terms, fields = found.setdefault(topic, (set(), set()))
                        terms.add(match.group(0).lower())
                        fields.add(field)
    return [Tag(topic, tuple(sorted(terms)), tuple(f for f in FIELDS if f in fields)) for topic, (terms, fields) in found.items()]


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
        item.topics = [{"topic": t.topic, "terms": list(t.terms), "fields": list(t.fields)} for t in tag_texts(course_texts(item))]
        for tag in item.topics:
            self.count(f"topics/{tag['topic']}")
        return item
