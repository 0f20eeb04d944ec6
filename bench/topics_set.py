"""The labelled set for the topic tagger: real course titles and descriptions from
../shared/samples (never copied here), labelled by hand in ``bench/topics_labels.tsv`` (keyed by
the SHA-1 of the text, with the topics a person judged the text to be about)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bench.language_set import _offerings
from translate.language import detector, plain_text

HERE = Path(__file__).resolve().parent
LABELS = HERE / "topics_labels.tsv"
HELDOUT = HERE / "topics_heldout_labels.tsv"
# descriptions worth labelling: they mention a topic's subject, or a word a naive tagger trips on
HINT = re.compile(
    r"akku|akut\b|batter|energiavarast|energy "
    r"storage|energilagr|litium|lithium|vety|vedyn|hydrogen|vätgas|kaivos|mining|"
    r"metallurg|teräs|steel|stål|hitsa|weld|svets|kierrät|recycl|återvinn|kiertotal|circular|automaat|automation|"
    r"sähkövoima|elkraft|power engineering|kemian|chemical|prosessi|process industry",
    re.I,
)


@dataclass(frozen=True)
class Text:
    key: str
    kind: str
    lang: str
    text: str


def key_of(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def candidates(samples: Path) -> dict[str, Text]:
    found: dict[str, Text] = {}
    for file in sorted((samples / "fi").rglob("*.json")):
        for offering in _offerings(json.loads(file.read_text("utf-8"))):
            names = offering.get("nimi") or {}
            title = names.get("fi") or names.get("sv") or names.get("en")
            if isinstance(title, str) and title.strip():
                title = " ".join(title.split())
                found.setdefault(key_of(title), Text(key_of(title), "title", "", title))
            descriptions = offering.get("kuvaus") or (offering.get("metadata") or {}).get("kuvaus") or {}
            for lang, text in descriptions.items() if isinstance(descriptions, dict) else []:
                if isinstance(text, str) and HINT.search(text):
                    clean = plain_text(text)
                    found.setdefault(key_of(clean), Text(key_of(clean), "description", lang, clean))
    planned = samples / "se" / "skolverket-planned-educations" / "planned_educations_adult_events.json"
    if planned.exists():
        for event in json.loads(planned.read_text("utf-8"))["body"]["_embedded"]["listedAdultEducationEvents"]:
            title = re.sub(r"<!\[CDATA\[|\]\]>", "", event.get("titleSv") or "").strip()
            if title:
                found.setdefault(key_of(title), Text(key_of(title), "title", "sv", title))
    d = detector()
    return {k: t if t.lang else Text(t.key, t.kind, d.detect(t.text).language, t.text) for k, t in found.items()}


def labels(path: Path = LABELS) -> dict[str, set[str]]:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return {r[0]: {t for t in r[1].split(",") if t} for r in rows[1:]}
