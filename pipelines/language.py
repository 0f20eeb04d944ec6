"""Detects the language of every text field and compares it with what the source declared.

For title and description (in the listing's primary language) and each of their language
variants: the detected language (ISO 639-1, "und" when too short or language-neutral), its
confidence, and the effective language translation will use: the declared one, unless the
detection confidently disagrees. Disagreements are counted in the crawler stats
(``aggregator/language/disagree/<field>``) and listed by the ``language_disagreements`` view.
Variants that only copy the primary text are not detected again: they are the primary text.
"""

from __future__ import annotations

from pipelines.base import CrawlerPipeline
from spiders.items import Course
from translate.language import detector

FIELDS = ("title", "description")


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
                primary = self.detector.judge(text, declared)
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

    def _count(self, field: str, verdict) -> None:
        self.count(f"language/detected/{verdict.detected.language}")
        if verdict.disagrees:
            self.count(f"language/disagree/{field.replace(':', '_')}")
