"""English for every listing: a thin adapter over translate/ (see translate/english.py).

Machine translation runs on one worker thread, never on the crawl's event loop. Without an
installed model the crawl completes: the English stays empty with method "pending" (counted)
until `aggregator translate` fills it in. Counters: ``aggregator/translate/model_calls``,
``.../cache_hits``, ``.../method/<method>``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from store.db import open_db
from pipelines.base import CrawlerPipeline
from spiders.items import Course
from translate.base import MACHINE, PENDING
from translate.cache import TranslationCache
from translate.english import English, EnglishService

FIELDS = ("title", "description")


def default_translator(logger=None):
    """The Argos backend when a model is installed, else None (every text then "pending")."""
    try:
        from translate.argos import ArgosTranslator, installed_models

        return ArgosTranslator() if installed_models() else None
    except Exception as exc:  # a broken Argos installation must not stop the crawl
        if logger:
            logger.error("Translation disabled: cannot read the Argos models (%s)", exc)
        return None


class TranslatePipeline(CrawlerPipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.db_path = crawler.settings.get("AGGREGATOR_DB")
        self.service = EnglishService(default_translator(), cache=None)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")

    def close_spider(self) -> None:
        self.executor.shutdown(wait=True)

    async def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        decisions = {field: self.service.decide(field, item.__dict__) for field in FIELDS}
        needed = {field: lang for field, lang in decisions.items() if isinstance(lang, str)}
        if needed:
            loop = asyncio.get_running_loop()
            decisions.update(await loop.run_in_executor(self.executor, self._machine, item, needed))
        for field, english in decisions.items():
            setattr(item, f"{field}_en", english.text)
            setattr(item, f"{field}_en_method", english.method)
            setattr(item, f"{field}_en_model", english.model)
            if english.method:
                self.count(f"translate/method/{english.method}")
        return item

    def _machine(self, item: Course, needed: dict[str, str]) -> dict[str, English]:
        """On the worker thread: translate through the cache (its own database connection)."""
        if self.service.cache is None:
            self.service.cache = TranslationCache(open_db(self.db_path))
        cache, translator = self.service.cache, self.service.translator
        hits, calls = cache.hits, translator.calls
        out = {}
        for field, lang in needed.items():
            text = getattr(item, field)
            translated, model = self.service.translate([text], lang)
            english = translated[text].strip()
            out[field] = English(english, MACHINE, model) if english else English(None, PENDING)
        self.count("translate/cache_hits", cache.hits - hits)
        self.count("translate/model_calls", translator.calls - calls)
        return out
