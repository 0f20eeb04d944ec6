"""Base of every pipeline: built from the crawler (Scrapy's current pipeline API, where
``process_item`` takes only the item), with the spider and stats at hand."""

from __future__ import annotations

from typing import Any

from translate.text import mask_personal_data


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

    def masked(self, text: str | None, field: str) -> str | None:
        """``text`` with persons' e-mail addresses and mobile numbers masked, counted in all and
        per field (``masked/email``, ``masked/<field>/email``)."""
        text, emails, phones = mask_personal_data(text)
        for kind, found in (("email", emails), ("phone", phones)):
            if found:
                self.count(f"masked/{kind}", found)
                self.count(f"masked/{field}/{kind}", found)
        return text
