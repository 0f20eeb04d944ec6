"""The labelled set for the language benchmark, built from the real multilingual samples in
../shared/samples (never copied into this repository) plus hard cases of our own.

Labels come from the language the source declared for each text, corrected by
``bench/language_review.tsv``: texts a person checked and found mislabelled (an "en" name that is
Finnish, a "sv" name that is the Finnish one again) get their true label or are excluded there,
keyed by the SHA-1 of the text, so corrections survive rebuilds.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translate.language import plain_text

HERE = Path(__file__).resolve().parent
REVIEW = HERE / "language_review.tsv"
HARD_CASES = HERE / "language_hard_cases.tsv"
LANGS = ("fi", "sv", "en")


@dataclass(frozen=True)
class Sample:
    text: str
    label: str
    kind: str  # "title" or "description"
    origin: str

    @property
    def key(self) -> str:
        return text_key(self.text)


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _offerings(node: Any) -> Iterator[dict[str, Any]]:
    """Education objects (koulutus, toteutus, search hits): an oid, a name map, a language choice."""
    if isinstance(node, dict):
        if isinstance(node.get("oid"), str) and isinstance(node.get("nimi"), dict) and "kielivalinta" in node:
            yield node
        for value in node.values():
            yield from _offerings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _offerings(value)


def _variants(texts: Any) -> dict[str, str]:
    if not isinstance(texts, dict):
        return {}
    out = {l: t.strip() for l, t in texts.items() if l in LANGS and isinstance(t, str) and t.strip()}
    # a variant that repeats another language's text is a copy, not a labelled example
    seen: dict[str, int] = {}
    for text in out.values():
        seen[text] = seen.get(text, 0) + 1
    return {l: t for l, t in out.items() if seen[t] == 1}


def from_samples(samples: Path) -> list[Sample]:
    found: dict[tuple[str, str], Sample] = {}
    fi = samples / "fi"
    for file in sorted(fi.rglob("*.json")):
        data = json.loads(file.read_text("utf-8"))
        for offering in _offerings(data):
            for lang, text in _variants(offering.get("nimi")).items():
                found.setdefault((text, "title"), Sample(" ".join(text.split()), lang, "title", f"fi:{file.name}"))
            descriptions = offering.get("kuvaus") or (offering.get("metadata") or {}).get("kuvaus")
            for lang, text in _variants(descriptions).items():
                clean = plain_text(text)
                if len(clean) >= 80:
                    found.setdefault((clean, "description"), Sample(clean, lang, "description", f"fi:{file.name}"))
    planned = samples / "se" / "skolverket-planned-educations" / "planned_educations_adult_events.json"
    if planned.exists():
        for event in json.loads(planned.read_text("utf-8"))["body"]["_embedded"]["listedAdultEducationEvents"]:
            title = (event.get("titleSv") or "").replace("<![CDATA[", "").replace("]]>", "").strip()
            if title:
                found.setdefault((title, "title"), Sample(title, "sv", "title", "se:planned"))
    return list(found.values())


def load_review() -> dict[str, str]:
    """text key -> corrected label, or "exclude"."""
    if not REVIEW.exists():
        return {}
    with REVIEW.open(encoding="utf-8") as handle:
        return {row["key"]: row["label"] for row in csv.DictReader(handle, delimiter="\t")}


def hard_cases() -> list[Sample]:
    with HARD_CASES.open(encoding="utf-8") as handle:
        return [Sample(r["text"], r["label"], r["kind"], "hard-case") for r in csv.DictReader(handle, delimiter="\t")]


def labelled_set(samples: Path | None) -> list[Sample]:
    review = load_review()
    out = []
    for sample in from_samples(samples) if samples and samples.is_dir() else []:
        label = review.get(sample.key, sample.label)
        if label != "exclude":
            out.append(Sample(sample.text, label, sample.kind, sample.origin))
    return out + hard_cases()
