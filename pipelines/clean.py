"""Cleans text and values: HTML to text, whitespace, mojibake, URLs with a scheme, dates.

Only the form changes here, never the meaning: a value that cannot be cleaned is left for the
validate pipeline to count. Two exceptions protect the database and the people named in it:
texts longer than MAX_CHARS are cut (counted in ``aggregator/truncated/<field>``, listed in
``extras.truncated``), and the e-mail addresses and mobile numbers of persons are masked in
every text a source gives: titles, descriptions, provider, institution and place names and
every text inside ``extras`` (counted in ``aggregator/masked/email|phone`` and per field in
``aggregator/masked/<field>/email|phone``; function mailboxes such as info@, opinto@ or
admissions@ stay). A hostile source put them in titles, names and extras, not only descriptions.
"""

from __future__ import annotations

from pipelines.base import CrawlerPipeline
from spiders.items import Course
from translate.text import clean_description, clean_title, squash, truncate, with_scheme

# The most characters kept per text. The longest real description in the samples is about
# 12,000 characters; one hostile 50 MB description grew the database twentyfold.
MAX_CHARS = {"title": 1_000, "description": 50_000, "name": 500}
# Raw text is cut before HTML is parsed, so a huge document costs no more than a large one.
MAX_RAW_CHARS = 1_000_000


class CleanPipeline(CrawlerPipeline):
    def process_item(self, item):
        if not isinstance(item, Course):
            return item
        truncated: list[str] = []

        def capped(field: str, text: str | None, kind: str) -> str | None:
            text, cut = truncate(text, MAX_CHARS[kind])
            if cut:
                self.count(f"truncated/{field}")
                truncated.append(field)
            return text

        def raw(text: str | None) -> str | None:
            return text[:MAX_RAW_CHARS] if isinstance(text, str) else text

        item.title = clean_title(raw(item.title))
        item.title_i18n = {k: v for k, v in ((k, clean_title(raw(v))) for k, v in item.title_i18n.items()) if v}
        item.description = clean_description(raw(item.description))
        item.description_i18n = {
            k: v for k, v in ((k, clean_description(raw(v))) for k, v in item.description_i18n.items()) if v
        }
        item.title = self.masked(capped("title", item.title, "title"), "title")
        item.title_i18n = {
            k: self.masked(capped(f"title:{k}", v, "title"), "title") for k, v in item.title_i18n.items()
        }
        item.description = self.masked(capped("description", item.description, "description"), "description")
        item.description_i18n = {
            k: self.masked(capped(f"description:{k}", v, "description"), "description")
            for k, v in item.description_i18n.items()
        }
        for name in ("provider_name", "institution_name", "municipality"):
            setattr(item, name, self.masked(capped(name, clean_title(raw(getattr(item, name))), "name"), name))
        item.extras = self.masked_values(item.extras)
        if truncated:
            item.extras["truncated"] = truncated
        if item.url:
            fixed = with_scheme(item.url)
            if fixed != item.url:
                self.count("cleaned/url_scheme_added" if fixed else "invalid/url")
            item.url = fixed
        if item.municipality_code is not None:
            item.municipality_code = squash(str(item.municipality_code))
        item.instruction_languages = [l.lower() for l in item.instruction_languages if l]
        return item

    def masked_values(self, value, field: str = "extras"):
        """``value`` (extras: JSON-like) with every text in it, keys too, masked."""
        if isinstance(value, str):
            return self.masked(value, field)
        if isinstance(value, dict):
            return {self.masked_values(k, field): self.masked_values(v, field) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.masked_values(v, field) for v in value]
        return value
