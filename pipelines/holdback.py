"""Test and placeholder listings are held back: the registers publish entries made to try their
own systems ("(testi) Hevosten hyvinvoinnista huolehtiminen", "PetteriT:n testitoteutus") and
texts left as placeholders (Lorem ipsum). They are not offerings a student can take, so they go
to ``held_back_listings`` with the reason instead of ``courses`` (counted as
``aggregator/held_back/<reason>``), and never into a view, facet, count or export. A stored
listing that turns into one is held back like a removal: it leaves what is published when the
run is judged clean, its row kept (``store.course_store.CourseStore.hold_back``)."""

from __future__ import annotations

import re

from pipelines.base import CrawlerPipeline
from spiders.items import Course, HeldBack

# Words that mark a test entry in a title or provider name: Finnish "testi" on its own or as the
# first part of a compound (testitoteutus, testikoulutus, Testiorganisaatio), "test" as a word of
# its own or in brackets. Not "testaus" (testing, a subject), "Testautomation" or "Testing".
TEST_MARKER = re.compile(r"(?<![\w-])(?:testi(?!ng)\w*|test)(?![\w-])|\((?:testi|test)\)", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\blorem ipsum\b|\bdolor sit amet\b", re.IGNORECASE)


def held_back_reason(item: Course) -> str | None:
    """Why the listing is not a real offering, or None."""
    if TEST_MARKER.search(item.title or ""):
        return "test_listing:title"
    if TEST_MARKER.search(item.provider_name or "") or TEST_MARKER.search(item.institution_name or ""):
        return "test_listing:provider"
    if PLACEHOLDER.search(item.title or "") or PLACEHOLDER.search(item.description or ""):
        return "placeholder_text"
    return None


class HoldBackPipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course) or item.removed:
            return item
        reason = held_back_reason(item)
        if reason is None:
            return item
        self.count(f"held_back/{reason}")
        self.crawler.spider.logger.info(
            "Held back %s %s (%s): %r", item.source, item.source_id, reason, (item.title or "")[:80]
        )
        return HeldBack(
            source_id=item.source_id,
            reason=reason,
            source=item.source,
            title=item.title,
            provider_name=item.provider_name,
            url=item.url,
            source_url=item.source_url,
        )
