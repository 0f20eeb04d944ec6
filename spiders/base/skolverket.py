"""Platform base for Skolverket's JSON APIs (Susa-navet EMIL 3, Planned Educations).

Both page from 0 and state the listing's size with every page (``page.totalElements``,
``page.totalPages``, ``page.size``). Paging follows ``totalPages``: never fewer pages are read
than the source states, however many rows page 0 holds. The pages after page 0 are read in
``PAGE_WINDOW`` lanes (pages 1, 1+W, 1+2W, ... in one lane), so a few are in flight at once but
never more; a stated count beyond AGGREGATOR_MAX_PAGES stops there (a counted error), so a page
count that lies cannot make a crawl endless.

Each listing is checked once all its pages are in (``ListingPages``): a page shorter or longer
than its stated size is counted (``pages/shorter_than_size``, ``pages/longer_than_size``), and
when totalElements, totalPages and the rows read disagree the run is flagged
(``errors/paging_disagreement``): a listing not read as the source states it removes nothing.
Both filter municipalities by SCB code, restoring a lost leading zero.

Override points: ``page_param`` / ``size_param`` names, ``page_size``, ``page_records(payload)``,
``record_key(record)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy

from spiders.base.json_api import JsonApiSpider, split_argument
from spiders.extract.skolverket import scb_code

PAGE_WINDOW = 4  # pages of one listing in flight at once (the per-host concurrency)


def _count(value: Any) -> int | None:
    """A non-negative integer as the source states it, or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass
class ListingPages:
    """What one paged listing (a path and its filters) stated and what was read of it."""

    where: str
    pages: int = 0  # pages to read: the stated totalPages (capped), or what totalElements needs
    size: int = 0
    stated_pages: int | None = None
    stated_elements: int | None = None
    answered: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    rows: int = 0
    keys: set[str] = field(default_factory=set)

    def disagreement(self) -> str | None:
        """How the stated counts and the rows read disagree, or None when they agree."""
        problems = []
        if self.stated_pages is not None and self.stated_elements is not None and self.size:
            needed = max(1, math.ceil(self.stated_elements / self.size))
            if needed != self.stated_pages:
                problems.append(
                    f"totalPages {self.stated_pages} but totalElements {self.stated_elements} "
                    f"at {self.size} a page needs {needed}"
                )
        if self.stated_elements is not None and self.stated_elements not in (self.rows, len(self.keys)):
            problems.append(
                f"totalElements {self.stated_elements} but {self.rows} rows read ({len(self.keys)} distinct ids)"
            )
        if self.stated_pages is None and self.stated_elements is None:
            problems.append("no totalPages or totalElements stated")
        return "; ".join(problems) or None


class SkolverketApiSpider(JsonApiSpider):
    country = "SE"
    page_size = 500
    page_param = "page"
    size_param = "size"

    def __init__(
        self, *args: Any, municipalities: str | None = None, page_size: str | int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        codes = [scb_code(c) for c in split_argument(municipalities)]
        if any(c is None for c in codes):
            raise ValueError(f"{self.name}: municipalities are SCB codes like 2482,0180; got {municipalities!r}")
        self.municipalities: set[str] = set(codes)  # type: ignore[arg-type]
        self.listings_read: dict[str, ListingPages] = {}  # listing (path and filters) -> its pages
        if page_size is not None:
            self.page_size = int(page_size)

    # --- paging ------------------------------------------------------------------------------
    def page_request(
        self, path: str, callback: Callable[..., Any], page: int, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> scrapy.Request:
        query = {**(params or {}), self.page_param: page, self.size_param: self.page_size}
        cb_kwargs = {"page": page, **kwargs.pop("cb_kwargs", {})}
        return self.api_request(path, callback, params=query, cb_kwargs=cb_kwargs, **kwargs)

    @staticmethod
    def page_records(payload: Any) -> list[Any] | None:
        """The records of a page (its longest list, at the top or under ``_embedded``); None
        when the page could not be read."""
        if not isinstance(payload, dict):
            return None
        lists = [v for v in payload.values() if isinstance(v, list)]
        embedded = payload.get("_embedded")
        if isinstance(embedded, dict):
            lists += [v for v in embedded.values() if isinstance(v, list)]
        return max(lists, key=len, default=[])

    @staticmethod
    def record_key(record: Any) -> str | None:
        """A record's own id (to tell duplicate rows from distinct ones)."""
        if isinstance(record, dict):
            for name in ("id", "educationEventId", "identifier"):
                if isinstance(record.get(name), str):
                    return record[name].lower()
        return None

    def further_pages(
        self,
        payload: Any,
        page: int,
        path: str,
        callback: Callable[..., Any],
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[scrapy.Request]:
        """Account for this page (``payload`` None: it failed) and yield the next pages of its
        listing: from page 0 the first page of each lane, from any other page the next one of
        its lane, up to the page count planned from page 0."""
        key = path + json.dumps(params or {}, sort_keys=True, default=str)
        listing = self.listings_read.get(key)
        if page == 0 or listing is None:
            listing = self.listings_read[key] = self.plan(payload, path + " " + json.dumps(params or {}))
            following: Iterator[int] | list[int] = range(1, min(listing.pages, 1 + PAGE_WINDOW))
        else:
            following = [page + PAGE_WINDOW] if page + PAGE_WINDOW < listing.pages else []
        self.account(listing, page, payload)
        for next_page in following:
            yield self.page_request(path, callback, next_page, params, **kwargs)

    def plan(self, payload: Any, where: str) -> ListingPages:
        """The listing's pages as page 0 states them."""
        stated = (payload or {}).get("page") if isinstance(payload, dict) else None
        stated = stated if isinstance(stated, dict) else {}
        size = _count(stated.get("size")) or self.page_size
        listing = ListingPages(
            where=where,
            size=size,
            stated_pages=_count(stated.get("totalPages")),
            stated_elements=_count(stated.get("totalElements")),
        )
        if payload is None:
            return listing  # page 0 failed (an error already counted): nothing more to plan
        pages = listing.stated_pages
        if not pages and listing.stated_elements is not None:
            pages = math.ceil(listing.stated_elements / size)
        pages = max(pages or 1, 1)
        if self.beyond_page_cap(pages, where):
            pages = self.settings.getint("AGGREGATOR_MAX_PAGES", 5000)
        listing.pages = pages
        return listing

    def account(self, listing: ListingPages, page: int, payload: Any) -> None:
        records = self.page_records(payload)
        if records is None:
            if payload is not None:  # JSON, but not a page: a request error or bad JSON is counted already
                self.count("errors/page_not_an_object")
                self.logger.error("%s page %d is not a JSON object; its records are not read.", listing.where, page)
            listing.failed.add(page)
        else:
            listing.answered.add(page)
            listing.rows += len(records)
            listing.keys.update(k for k in map(self.record_key, records) if k)
            if len(records) > listing.size:
                self.count("pages/longer_than_size")
            elif len(records) < listing.size and page < listing.pages - 1:
                self.count("pages/shorter_than_size")
                self.logger.warning(
                    "%s page %d holds %d rows, fewer than its size %d", listing.where, page, len(records), listing.size
                )
            elif not records:
                self.count("pages/empty")
        if len(listing.answered | listing.failed) < max(listing.pages, 1) or listing.failed:
            return  # more pages to come, or a failed page (an error already counted)
        problem = listing.disagreement()
        if problem:
            self.count("errors/paging_disagreement")
            self.logger.error(
                "%s was not read as the source states it (%s); the run is flagged and marks nothing removed.",
                listing.where,
                problem,
            )

    # --- client-side municipality filter -----------------------------------------------------
    def wanted_place(self, code: Any) -> bool:
        if not self.municipalities:
            return True
        wanted = scb_code(code) in self.municipalities
        if not wanted:
            self.count("filtered_out_municipality")
        return wanted
