"""English for every listing: a thin adapter over translate/ (see translate/english.py).

Machine translation runs on one worker thread, never on the crawl's event loop, for many listings
at a time: the texts of up to BATCH_ITEMS listings that arrive within BATCH_WAIT seconds go to
the model together (bench/translation_benchmark.py has the throughput against one text per call),
and a text repeated among them (the same description on many events) is translated once. Without an
installed model the crawl completes: the English stays empty with method "pending" (counted)
until `aggregator translate` fills it in. Counters: ``aggregator/translate/model_calls``,
``.../cache_hits``, ``.../method/<method>``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from pipelines.base import CrawlerPipeline
from spiders.items import Course
from store.files import open_db
from translate.base import MACHINE, PENDING
from translate.cache import TranslationCache
from translate.english import English, EnglishService

FIELDS = ("title", "description")
BATCH_ITEMS = 32
BATCH_WAIT = 0.05  # seconds: what a listing may wait for others to share its model call


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
        self._waiting: list[tuple[Course, dict[str, str], asyncio.Future]] = []
        self._timer: asyncio.TimerHandle | None = None

    def close_spider(self) -> None:
        self.executor.shutdown(wait=True)

    async def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        decisions = {field: self.service.decide(field, item.__dict__) for field in FIELDS}
        needed = {field: lang for field, lang in decisions.items() if isinstance(lang, str)}
        if needed:
            decisions.update(await self._in_a_batch(item, needed))
        for field, english in decisions.items():
            setattr(item, f"{field}_en", english.text)
            setattr(item, f"{field}_en_method", english.method)
            setattr(item, f"{field}_en_model", english.model)
            if english.method:
                self.count(f"translate/method/{english.method}")
        return item

    async def _in_a_batch(self, item: Course, needed: dict[str, str]) -> dict[str, English]:
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((item, needed, answer))
        if len(self._waiting) >= BATCH_ITEMS:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(BATCH_WAIT, self._flush)
        return await answer

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        work = asyncio.get_running_loop().run_in_executor(
            self.executor, self._machine, [(item, needed) for item, needed, _ in batch]
        )

        def answer(done: asyncio.Future) -> None:
            failed = done.exception()
            for position, (_, _, waiting) in enumerate(batch):
                if waiting.done():
                    continue
                if failed is not None:
                    waiting.set_exception(failed)
                else:
                    waiting.set_result(done.result()[position])

        work.add_done_callback(answer)

    def _machine(self, batch: list[tuple[Course, dict[str, str]]]) -> list[dict[str, English]]:
        """On the worker thread: the batch's texts, one model call per language, through the
        cache (its own database connection)."""
        if self.service.cache is None:
            self.service.cache = TranslationCache(open_db(self.db_path))
        cache, translator = self.service.cache, self.service.translator
        hits, calls = cache.hits, translator.calls
        by_language: dict[str, list[str]] = {}
        for item, needed in batch:
            for field, lang in needed.items():
                by_language.setdefault(lang, []).append(getattr(item, field))
        translated = {lang: self.service.translate(texts, lang) for lang, texts in by_language.items()}
        self.count("translate/batches")
        self.count("translate/batched_listings", len(batch))
        out = []
        for item, needed in batch:
            fields = {}
            for field, lang in needed.items():
                english_texts, model = translated[lang]
                english = english_texts[getattr(item, field)].strip()
                fields[field] = English(english, MACHINE, model) if english else English(None, PENDING)
            out.append(fields)
        self.count("translate/cache_hits", cache.hits - hits)
        self.count("translate/model_calls", translator.calls - calls)
        return out
