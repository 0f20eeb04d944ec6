"""Stamps what every item needs once: source, country, fetch time and the stable id.

Spiders declare facts as class attributes (``name``, ``country``); this pipeline applies them
and never overwrites what a spider set on the item itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.base import CrawlerPipeline
from spiders.items import Course, Kept, Seen
from store.rows import course_id


class ProvenancePipeline(CrawlerPipeline):
    def process_item(self, item):
        spider = self.spider
        if isinstance(item, (Seen, Kept)):
            item.source = item.source or spider.name
            return item
        if not isinstance(item, Course):
            return item
        item.source = item.source or spider.name
        item.country = item.country or getattr(spider, "country", None) or None
        item.fetched_at = item.fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
        if item.source_id:
            item.source_id = str(item.source_id).strip()
            item.id = course_id(item.source, item.source_id)
        return item
