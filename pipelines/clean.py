"""Cleans text and values: HTML to text, whitespace, mojibake, URLs with a scheme, dates.

Only the form changes here, never the meaning: a value that cannot be cleaned is left for the
validate pipeline to count.
"""

from __future__ import annotations

from aggregator.text import clean_description, clean_title, squash, with_scheme
from pipelines.base import CrawlerPipeline
from spiders.items import Course


class CleanPipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course):
            return item
        item.title = clean_title(item.title)
        item.title_i18n = {k: v for k, v in ((k, clean_title(v)) for k, v in item.title_i18n.items()) if v}
        item.description = clean_description(item.description)
        item.description_i18n = {
            k: v for k, v in ((k, clean_description(v)) for k, v in item.description_i18n.items()) if v
        }
        for name in ("provider_name", "institution_name", "municipality"):
            setattr(item, name, clean_title(getattr(item, name)))
        if item.url:
            fixed = with_scheme(item.url)
            if fixed != item.url:
                self.count("cleaned/url_scheme_added" if fixed else "invalid/url")
            item.url = fixed
        if item.municipality_code is not None:
            item.municipality_code = squash(str(item.municipality_code))
        item.instruction_languages = [l.lower() for l in item.instruction_languages if l]
        return item
