"""Platform base for Skolverket's JSON APIs (Susa-navet EMIL 3, Planned Educations).

Both page from 0 and report the page count with the first page. The pages of one listing are
read in ``PAGE_WINDOW`` lanes (pages 1, 1+W, 1+2W, ... in one lane), so a few are in flight at
once but never more: a lane ends at an empty page, and the count is bounded by the source's own
totalElements and by AGGREGATOR_MAX_PAGES (reaching that cap is a counted error), so a page
count that lies cannot make a crawl endless or build millions of requests. Both filter
municipalities by SCB code, restoring a lost leading zero.

Override points: ``page_param`` / ``size_param`` names, ``page_size``, ``page_count(payload)``,
``page_rows(payload)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import scrapy

from spiders.base.json_api import JsonApiSpider, split_argument
from spiders.extract.skolverket import scb_code

PAGE_WINDOW = 4  # pages of one listing in flight at once (the per-host concurrency)


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
        self.planned_pages: dict[str, int] = {}  # listing (path and filters) -> pages to read
        if page_size is not None:
            self.page_size = int(page_size)

    # --- paging ------------------------------------------------------------------------------
    def page_request(
        self, path: str, callback: Callable[..., Any], page: int, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> scrapy.Request:
        query = {**(params or {}), self.page_param: page, self.size_param: self.page_size}
        cb_kwargs = {"page": page, **kwargs.pop("cb_kwargs", {})}
        return self.api_request(path, callback, params=query, cb_kwargs=cb_kwargs, **kwargs)

    @classmethod
    def page_count(cls, payload: Any) -> int:
        """The listing's page count as the source states it: its totalPages, but no more than its
        totalElements need at the number of records the first page holds."""
        page = (payload or {}).get("page") if isinstance(payload, dict) else None
        page = page if isinstance(page, dict) else {}
        total = page.get("totalPages")
        count = int(total) if isinstance(total, int) and not isinstance(total, bool) and total > 0 else 1
        elements, rows = page.get("totalElements"), cls.page_rows(payload)
        if isinstance(elements, int) and not isinstance(elements, bool) and elements >= 0 and rows is not None:
            count = min(count, max(1, math.ceil(elements / rows)) if rows else 1)
        return count

    @staticmethod
    def page_rows(payload: Any) -> int | None:
        """How many records a page holds (its longest list, at the top or under ``_embedded``);
        None when the page could not be read."""
        if not isinstance(payload, dict):
            return None
        lists = [v for v in payload.values() if isinstance(v, list)]
        embedded = payload.get("_embedded")
        if isinstance(embedded, dict):
            lists += [v for v in embedded.values() if isinstance(v, list)]
        return max(map(len, lists), default=0)

    def further_pages(
        self,
        payload: Any,
        page: int,
        path: str,
        callback: Callable[..., Any],
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Iterator[scrapy.Request]:
        """The next pages of this listing: from page 0 the first page of each lane, from any
        other page the next one of its lane, until the planned count or an empty page."""
        key = path + json.dumps(params or {}, sort_keys=True, default=str)
        if page == 0:
            count = self.page_count(payload)
            if self.beyond_page_cap(count, path):
                count = self.settings.getint("AGGREGATOR_MAX_PAGES", 5000)
            self.planned_pages[key] = count
            following = range(1, min(count, 1 + PAGE_WINDOW))
        else:
            if self.page_rows(payload) == 0:
                self.count("empty_pages")
                return  # an empty page ends its lane (a failed one, None, does not)
            following = [page + PAGE_WINDOW] if page + PAGE_WINDOW < self.planned_pages.get(key, 0) else []
        for next_page in following:
            yield self.page_request(path, callback, next_page, params, **kwargs)

    # --- client-side municipality filter -----------------------------------------------------
    def wanted_place(self, code: Any) -> bool:
        if not self.municipalities:
            return True
        wanted = scb_code(code) in self.municipalities
        if not wanted:
            self.count("filtered_out_municipality")
        return wanted
