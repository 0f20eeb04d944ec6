"""Detects the language of every text field and compares it with what the source declared.

For title and description (in the listing's primary language) and each of their language
variants: the detected language (ISO 639-1, "und" when too short or language-neutral), its
confidence, and the effective language translation will use: the declared one, unless the
detection confidently disagrees. Disagreements are counted in the crawler stats
(``aggregator/language/disagree/<field>``) and listed by the ``language_disagreements`` view.
Variants that only copy the primary text are not detected again: they are the primary text.

A provider that entered its listing in one language only (Opintopolku's ``kielivalinta: ["en"]``,
in ``extras``) declared that language for sure: it stands unless detection is SURE of another
(``SURE_OF_ANOTHER``), so one Finnish word in an English-only title ("Sosionomi (AMK), Bachelor
of Social Services") does not make it Finnish.
"""

from __future__ import annotations

from dataclasses import replace

from pipelines.base import CrawlerPipeline
from spiders.items import Course
from translate.language import detector

FIELDS = ("title", "description")
SURE_OF_ANOTHER = 0.99  # a whole sentence of another language; a mixed title scores about 0.96


class LanguagePipeline(CrawlerPipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.detector = detector()  # once per process: loading the profiles takes a second

    def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        copied = set(item.copied_variants)
        for field in FIELDS:
            text = getattr(item, field)
            declared = getattr(item, f"{field}_lang")
            primary = None
            if text:
                primary = self.sole_language_stands(item, declared, self.detector.judge(text, declared))
                setattr(item, f"{field}_detected_lang", primary.detected.language)
                setattr(item, f"{field}_lang_confidence", primary.detected.confidence)
                setattr(item, f"{field}_effective_lang", primary.effective)
                self._count(field, primary)
            for lang, variant in getattr(item, f"{field}_i18n").items():
                key = f"{field}:{lang}"
                if key in copied:
                    continue
                if primary is not None and variant == text and lang == declared:
                    verdict = primary  # the primary text itself: already judged
                else:
                    verdict = self.detector.judge(variant, lang)
                    self._count(key, verdict)
                item.text_languages[key] = {
                    "declared": lang,
                    "detected": verdict.detected.language,
                    "confidence": verdict.detected.confidence,
                    "effective": verdict.effective,
                }
        return item

    @staticmethod
    def sole_language_stands(item: Course, declared: str | None, verdict):
        """The verdict, with the declared language kept when it is the only one the provider
        entered and detection is not sure of another."""
        sole = item.extras.get("kielivalinta") if isinstance(item.extras, dict) else None
        if verdict.disagrees and sole == [declared] and verdict.detected.confidence < SURE_OF_ANOTHER:
            return replace(verdict, effective=declared, disagrees=False)
        return verdict

    def _count(self, field: str, verdict) -> None:
        self.count(f"language/detected/{verdict.detected.language}")
        if verdict.disagrees:
            self.count(f"language/disagree/{field.replace(':', '_')}")
