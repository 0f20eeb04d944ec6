"""Stores items in aggregator.db (sqlite-utils), in batches, one crawl_runs row per run.

The run is closed on Scrapy's ``spider_closed`` signal, which carries the finish reason: only a
run that finished cleanly may mark unseen listings removed (see aggregator.runs).
"""

from __future__ import annotations

import time

from scrapy import signals

from aggregator.db import CourseStore, open_db
from aggregator.runs import DEFAULT_MIN_SHARE, finish_run, register_source, start_run
from pipelines.base import CrawlerPipeline
from spiders.items import Course, Seen
from spiders.settings import AGGREGATOR_DEFER_INDEXES_AFTER, AGGREGATOR_STORE_BATCH


class StorePipeline(CrawlerPipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.db_path = crawler.settings.get("AGGREGATOR_DB")
        self.batch_size = crawler.settings.getint("AGGREGATOR_STORE_BATCH", AGGREGATOR_STORE_BATCH)
        self.defer_indexes_after = crawler.settings.getint("AGGREGATOR_DEFER_INDEXES_AFTER", AGGREGATOR_DEFER_INDEXES_AFTER)
        self.min_share = crawler.settings.getfloat("AGGREGATOR_MIN_SHARE", DEFAULT_MIN_SHARE)
        self.courses: list[Course] = []
        self.seen: list[str] = []
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self) -> None:
        spider = self.spider
        self.db = open_db(self.db_path)
        register_source(
            self.db,
            {
                "name": spider.name,
                "country": getattr(spider, "country", None),
                "title": getattr(spider, "source_title", None),
                "url": getattr(spider, "source_url", None),
                "licence": getattr(spider, "source_licence", None),
                "licence_url": getattr(spider, "source_licence_url", None),
                "api_base_url": getattr(spider, "default_base_url", None),
            },
        )
        self.run_id = start_run(self.db, spider.name)
        self.store = CourseStore(self.db, spider.name, self.run_id, defer_indexes_after=self.defer_indexes_after)
        self.crawler.stats.set_value("aggregator/run_id", self.run_id)
        spider.logger.info("Writing to %s (crawl run %s)", self.db_path, self.run_id)

    def process_item(self, item):
        if isinstance(item, Course):
            self.courses.append(item)
        elif isinstance(item, Seen):
            self.seen.append(item.source_id)
        if len(self.courses) + len(self.seen) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if self.courses or self.seen:
            deferred_before = bool(self.store.deferred_indexes)
            self.store.write(self.courses, self.seen)
            self.courses, self.seen = [], []
            if self.store.deferred_indexes and not deferred_before:  # this batch made it a bulk load
                self.spider.logger.info("Bulk load: %d new listings so far; the indexes of courses are made again when the run ends",
                                        self.store.counts["new"])

    def close_spider(self) -> None:
        self.flush()
        started = time.monotonic()
        rebuilt = self.store.finish()
        if rebuilt:
            self.spider.logger.info("Bulk load: made %d indexes of courses again in %.1f s", len(rebuilt), time.monotonic() - started)

    def spider_closed(self, spider, reason) -> None:
        stats = self.crawler.stats.get_stats()
        verdict = finish_run(
            self.db,
            self.run_id,
            spider.name,
            finish_reason=reason,
            stats=stats,
            counts=self.store.counts,
            partial=bool(getattr(spider, "is_partial", False)),
            min_share=self.min_share,
        )
        for key, value in self.store.counts.items():
            self.crawler.stats.set_value(f"aggregator/store/{key}", value)
        self.crawler.stats.set_value("aggregator/run_status", verdict.status)
        log = spider.logger.info if verdict.status == "finished" else spider.logger.error
        log("Crawl run %s: %s %s %s", self.run_id, verdict.status, self.store.counts, verdict.note)
        self.db.close()
