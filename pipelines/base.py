"""Base of every pipeline: built from the crawler (Scrapy's current pipeline API, where
``process_item`` takes only the item), with the spider and stats at hand."""

from __future__ import annotations

from typing import Any


class CrawlerPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._increment = crawler.stats.inc_value  # looked up once: counting is per item and field

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlerPipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def count(self, key: str, n: int = 1) -> None:
        self._increment(f"aggregator/{key}", n)
