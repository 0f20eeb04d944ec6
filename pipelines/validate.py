"""Counts missing and invalid fields per run in the crawler stats, and drops only what cannot
be stored: an item without source id or title (a deleted record needs only its id). An item
with a source id but no title becomes a ``Kept`` marker: its stored listing keeps its previous
state instead of being read as unseen (and then removed) by a clean run. A listing without a
public page (``url``) is stored with it empty and counted: its source document is in
``source_url``.

Counters: ``aggregator/missing/<field>``, ``aggregator/invalid/<field>``,
``aggregator/dropped/<reason>``. The store copies them into ``crawl_runs``.
"""

from __future__ import annotations

import re

from scrapy.exceptions import DropItem

from pipelines.base import CrawlerPipeline
from spiders.items import Course, Kept

# Fields a researcher expects on every listing; their absence is counted, not fatal.
EXPECTED = (
    "url",
    "description",
    "provider_name",
    "municipality_code",
    "credits",
    "instruction_languages",
    "education_type_source",
)
# Upper bounds that catch concatenated or mistyped values; a Swedish upper-secondary
# vocational package reaches 2,500 gymnasiepoäng, everything else stays far below 1,000.
MAX_CREDITS = {"gymnasiepoäng": 3000}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


class ValidatePipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course):
            return item
        stats = self.crawler.stats

        def invalid(name: str, reset=None) -> None:
            stats.inc_value(f"aggregator/invalid/{name}")
            self.spider.logger.warning(
                "%s %s: invalid %s %r, left empty", item.source, item.source_id, name, getattr(item, name)
            )
            setattr(item, name, reset)

        if not item.source_id:
            stats.inc_value("aggregator/dropped/no_source_id")
            raise DropItem("no source id")
        if item.removed:
            return item  # deleted in the source: only the id matters
        for name in ("title",):
            if not getattr(item, name):
                stats.inc_value(f"aggregator/dropped/no_{name}")
                self.spider.logger.warning(
                    "%s %s: no %s; not stored, the stored listing (if any) is kept as it was",
                    item.source,
                    item.source_id,
                    name,
                )
                return Kept(source_id=item.source_id, reason=f"no_{name}", source=item.source)

        if item.credits is not None and not (0 < item.credits <= MAX_CREDITS.get(item.credit_unit or "", 1000)):
            invalid("credits")
        if item.eqf_level is not None and not (1 <= item.eqf_level <= 8):
            invalid("eqf_level")
        if item.municipality_code is not None and not str(item.municipality_code).isdigit():
            invalid("municipality_code")
        if item.pace_percent is not None and not (0 < item.pace_percent <= 100):
            invalid("pace_percent")
        for name in ("start_date", "end_date", "application_start", "application_end"):
            value = getattr(item, name)
            if value is not None and not _ISO_DATE.match(str(value)):
                invalid(name)
        if item.start_date and item.end_date and item.end_date < item.start_date:
            invalid("end_date")
        bad_languages = [l for l in item.instruction_languages if not _ISO_639_1.match(l)]
        if bad_languages or item.extras.get("unknown_instruction_languages"):
            stats.inc_value("aggregator/invalid/instruction_languages")
            item.instruction_languages = [l for l in item.instruction_languages if l not in bad_languages]

        for name in EXPECTED:
            if getattr(item, name) in (None, "", []):
                stats.inc_value(f"aggregator/missing/{name}")
        if not (item.start_date or item.start_term or item.rolling_admission):
            stats.inc_value("aggregator/missing/start")
        return item
