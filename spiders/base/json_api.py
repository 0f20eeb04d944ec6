"""A base for spiders that read a JSON (or XML sitemap) API.

Override points, in the order a subclass usually needs them:

- ``name``, ``country``: class attributes (``name`` is ``<source>_<se|fi>``, the file's name).
- ``default_base_url``: the API root; the spider argument ``base_url`` replaces it, so tests and
  benchmarks point the spider at a replay server on 127.0.0.1.
- ``api_headers``: extra headers sent with every request.
- ``discovery_requests``: the first requests, built with ``self.api_request(path, callback)``.

What the base does for every subclass (``SourceSpider``): builds URLs from ``base_url``, parses
JSON with a counted error instead of an exception, counts HTTP errors, timeouts and
DNS/connection failures per kind in the crawler stats (``aggregator/errors/...``) and logs what
failed and what to try.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base.source import SourceSpider, split_argument, truthy

__all__ = ["JsonApiSpider", "split_argument", "truthy"]


class JsonApiSpider(SourceSpider):
    api_headers: dict[str, str] = {}

    # --- building requests -------------------------------------------------------------------
    def api_url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = self.base_url + "/" + path.lstrip("/")
        if params:
            query = {k: v for k, v in params.items() if v is not None and v != ""}
            if query:
                url += "?" + urlencode(query, doseq=True)
        return url

    def api_request(
        self,
        path: str,
        callback: Callable[..., Any],
        params: dict[str, Any] | None = None,
        cb_kwargs: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        errback: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> scrapy.Request:
        merged = {"Accept": "application/json", **self.api_headers, **(headers or {})}
        return scrapy.Request(
            self.api_url(path, params),
            callback=callback,
            errback=errback or self.on_request_error,
            headers=merged,
            cb_kwargs=cb_kwargs or {},
            **kwargs,
        )

    def load_json(self, response: Response) -> Any | None:
        """The parsed body, or None (counted, logged) when it is not valid JSON. JSON is UTF-8:
        a body that is not valid UTF-8 is an error too, never text with replacement characters
        stored (and counted as a change) in place of the listing's real text."""
        try:
            text = response.body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.count("errors/invalid_utf8")
            self.logger.error(
                "The response from %s is not valid UTF-8 (%s); the record is skipped and the stored listing kept.",
                response.url,
                exc,
            )
            return None
        try:
            return json.loads(text)
        except (ValueError, AttributeError) as exc:
            self.count("errors/invalid_json")
            self.logger.error(
                "Invalid JSON from %s (%s); the record is skipped. If this repeats, the API may "
                "have changed: compare the response with the samples.",
                response.url,
                exc,
            )
            return None
