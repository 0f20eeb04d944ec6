"""English for a listing's title and description, with where it came from.

In order: English originals are kept as they are ("original"); an official code-list name in
English is used when the title is that name ("official"); English the provider wrote is used
when language detection confirms it is English ("provider"); otherwise the text is machine-
translated from its effective language ("machine", with the model), through the glossary and the
cache, block by block for descriptions; with no model for the language it is left "pending".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from translate import glossary
from translate.base import OFFICIAL, ORIGINAL, PENDING, PROVIDER, TARGET, Translator
from translate.cache import TranslationCache

NEUTRAL = {"und", TARGET}
# Where an official English name came from (recorded in *_en_model for the method "official"):
# the education classification's names that Opintopolku gives with the programme
# (koulutukset[].nimi, code list "koulutus"), or the project's glossary of fixed terms.
OFFICIAL_NAMES_LIST = "code list: Opintopolku koulutus (education classification)"
GLOSSARY_LIST = "glossary: translate/glossary.py"


@dataclass(frozen=True)
class English:
    text: str | None
    method: str | None
    model: str | None = None


def _normalised(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def segments(text: str) -> list[tuple[str, str]]:
    """(prefix, segment) per paragraph line: list items keep their "- " outside translation."""
    out = []
    for line in text.split("\n"):
        if not line.strip():
            out.append(("", ""))
        elif line.startswith("- "):
            out.append(("- ", line[2:]))
        else:
            out.append(("", line))
    return out


class EnglishService:
    """Decides and produces the English of one field. Thread-confined: use from one thread."""

    def __init__(self, translator: Translator | None, cache: TranslationCache | None) -> None:
        self.translator = translator
        self.cache = cache

    def model_for(self, lang: str | None) -> str | None:
        if not lang or lang in NEUTRAL or self.translator is None:
            return None
        return self.translator.model_id(lang, TARGET)

    def decide(self, field: str, fields: dict[str, Any]) -> English | str:
        """The English when no translation is needed, else the language to translate from."""
        text = fields.get(field)
        if not text:
            return English(None, None)
        effective = fields.get(f"{field}_effective_lang") or fields.get(f"{field}_lang")
        if effective in NEUTRAL:
            return English(text, ORIGINAL)
        if field == "title":
            official = self._official(text, fields.get("extras") or {})
            if official:
                return English(official, OFFICIAL, OFFICIAL_NAMES_LIST)
        provider = (fields.get(f"{field}_i18n") or {}).get(TARGET)
        verdict = (fields.get("text_languages") or {}).get(f"{field}:{TARGET}") or {}
        copied = f"{field}:{TARGET}" in (fields.get("copied_variants") or [])
        if provider and not copied and verdict.get("effective") == TARGET:
            return English(provider, PROVIDER)
        whole = glossary.whole_term(text, effective or "")
        if whole:
            return English(whole, OFFICIAL, GLOSSARY_LIST)
        if self.model_for(effective) is None:
            return English(None, PENDING)
        return effective

    @staticmethod
    def _official(title: str, extras: dict[str, Any]) -> str | None:
        for names in extras.get("official_names") or []:
            if isinstance(names, dict) and names.get(TARGET):
                if any(_normalised(v) == _normalised(title) for k, v in names.items() if k != TARGET):
                    return names[TARGET]
        return None

    def translate(self, texts: list[str], source: str) -> tuple[dict[str, str], str]:
        """Translations of whole texts (segment by segment, cached), and the model used."""
        model = self.model_for(source)
        assert model is not None and self.translator is not None
        prepared = {}
        for text in texts:
            for _, segment in segments(text):
                if segment.strip():
                    prepared[segment] = glossary.apply(segment, source)
        unique = sorted(set(prepared.values()))
        known = self.cache.get_many(unique, source, TARGET, model) if self.cache else {}
        missing = [t for t in unique if t not in known]
        if missing:
            fresh = dict(zip(missing, self.translator.translate(missing, source, TARGET), strict=False))
            if self.cache:
                self.cache.put_many(fresh, source, TARGET, model)
            known.update(fresh)
        out = {}
        for text in texts:
            out[text] = "\n".join(prefix + known[prepared[s]] if s.strip() else "" for prefix, s in segments(text))
        return out, model


def english_service(db, device: str | None = None) -> EnglishService:
    """The English service of a job that fills in stored listings (the nightly backfill,
    `aggregator translate`): the installed Argos models, on ``device`` (default cpu, or
    $AGGREGATOR_TRANSLATE_DEVICE), through the database's translation cache."""
    from translate.argos import ArgosTranslator  # loads the model runtime: only when needed

    return EnglishService(ArgosTranslator(device), TranslationCache(db))
