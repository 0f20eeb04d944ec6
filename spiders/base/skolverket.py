"""Platform base for Skolverket's JSON APIs (Susa-navet EMIL 3, Planned Educations).

Both page from 0 and report the page count with the first page, so every further page can be
requested at once. Both filter municipalities by SCB code, restoring a lost leading zero.

Override points: ``page_param`` / ``size_param`` names, ``page_size``, ``page_count(payload)``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import scrapy

from spiders.base.json_api import JsonApiSpider, split_argument
from spiders.extract.skolverket import scb_code


class SkolverketApiSpider(JsonApiSpider):
    country = "SE"
    page_size = 500
    page_param = "page"
    size_param = "size"

    def __init__(self, *args: Any, municipalities: str | None = None, page_size: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = [scb_code(c) for c in split_argument(municipalities)]
        if any(c is None for c in codes):
            raise ValueError(f"{self.name}: municipalities are SCB codes like 2482,0180; got {municipalities!r}")
        self.municipalities: set[str] = set(codes)  # type: ignore[arg-type]
        if page_size is not None:
            self.page_size = int(page_size)

    # --- paging ------------------------------------------------------------------------------
    def page_request(self, path: str, callback: Callable[..., Any], page: int, params: dict[str, Any] | None = None, **kwargs: Any) -> scrapy.Request:
        query = {**(params or {}), self.page_param: page, self.size_param: self.page_size}
        cb_kwargs = {"page": page, **kwargs.pop("cb_kwargs", {})}
        return self.api_request(path, callback, params=query, cb_kwargs=cb_kwargs, **kwargs)

    @staticmethod
    def page_count(payload: Any) -> int:
        page = (payload or {}).get("page") if isinstance(payload, dict) else None
        total = (page or {}).get("totalPages")
        return int(total) if isinstance(total, int) and total > 0 else 1

    def further_pages(self, payload: Any, page: int, path: str, callback: Callable[..., Any], params: dict[str, Any] | None = None, **kwargs: Any) -> Iterator[scrapy.Request]:
        """From page 0: requests for pages 1..n-1 (known from the first page's page count)."""
        if page != 0:
            return
        for next_page in range(1, self.page_count(payload)):
            yield self.page_request(path, callback, next_page, params, **kwargs)

    # --- client-side municipality filter -----------------------------------------------------
    def wanted_place(self, code: Any) -> bool:
        if not self.municipalities:
            return True
        wanted = scb_code(code) in self.municipalities
        if not wanted:
            self.count("filtered_out_municipality")
        return wanted
