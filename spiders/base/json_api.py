"""A base for spiders that read a JSON (or XML sitemap) API.

Override points, in the order a subclass usually needs them:

- ``name``, ``country``: class attributes (``name`` is ``<source>_<se|fi>``, the file's name).
- ``default_base_url``: the API root; the spider argument ``base_url`` replaces it, so tests and
  benchmarks point the spider at a replay server on 127.0.0.1.
- ``api_headers``: extra headers sent with every request.
- ``discovery_requests``: the first requests, built with ``self.api_request(path, callback)``.

What the base does for every subclass: builds URLs from ``base_url``, parses JSON with a counted
error instead of an exception, counts HTTP errors, timeouts and DNS/connection failures per kind
in the crawler stats (``aggregator/errors/...``) and logs what failed and what to try.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError, DownloadTimeoutError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from spiders.items import Kept
from spiders.middlewares import OffsiteRedirect


def split_argument(value: str | Iterable[str] | None) -> list[str]:
    """Spider arguments arrive as strings: "a,b , c" -> ["a", "b", "c"]."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(",")
    else:
        parts = list(value)
    return [p.strip() for p in parts if p and p.strip()]


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class JsonApiSpider(scrapy.Spider):
    country: str = ""
    default_base_url: str = ""
    api_headers: dict[str, str] = {}
    # What the rest of the project reads from a spider class: the source's description for the
    # sources table, and how it takes part in incremental runs.
    source_title: str = ""
    source_url: str = ""
    source_licence: str = ""
    source_licence_url: str = ""
    change_feed: bool = False  # takes incremental=1: fetches only what changed since the last clean run
    incremental_state: str = ""  # the spider argument the runner fills for incremental=1 (store.db has the state)
    is_partial: bool = False  # this run sees only part of the source (filters): it marks nothing removed

    def __init__(self, *args: Any, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"{self.name}: base_url must start with http:// or https://, got {self.base_url!r}"
            )

    def discovery_requests(self) -> Iterable[scrapy.Request]:
        raise NotImplementedError(f"{type(self).__name__} must define discovery_requests()")

    async def start(self):  # Scrapy >= 2.13 entry point
        for request in self.discovery_requests():
            yield request

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

    # --- reading responses -------------------------------------------------------------------
    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"aggregator/{key}", n)

    def load_json(self, response: Response) -> Any | None:
        """The parsed body, or None (counted, logged) when it is not valid JSON. JSON is UTF-8:
        a body that is not valid UTF-8 is an error too, never text with replacement characters
        stored (and counted as a change) in place of the listing's real text."""
        try:
            text = response.body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.count("errors/invalid_utf8")
            self.logger.error("The response from %s is not valid UTF-8 (%s); the record is skipped and the stored "
                              "listing kept.", response.url, exc)
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

    def beyond_page_cap(self, pages: int, where: str) -> bool:
        """Whether ``pages`` pages of one listing are more than AGGREGATOR_MAX_PAGES allows; if
        so the excess is a counted error (the run is flagged) and the caller reads no further."""
        limit = self.settings.getint("AGGREGATOR_MAX_PAGES", 5000)
        if pages <= limit:
            return False
        self.count("errors/page_cap")
        self.logger.error("%s: the source says there are more pages than the %d read (AGGREGATOR_MAX_PAGES); "
                          "stopped there, and the run is flagged.", where, limit)
        return True

    def extracted(self, build: Callable[[], Any], where: str, source_id: Any = None) -> Iterable[Any]:
        """The item of one extractor call. A document that no longer reads as a listing (a
        field turned into a number or a null, a missing object) is a counted error, never a
        crash of the callback, and when its id is known a ``Kept`` marker: its stored listing
        stays as it was rather than looking unseen. Extractors signal a status outside the
        source's vocabulary with a ``Kept`` of their own; that is counted apart, not an error."""
        try:
            item = build()
        except Exception as exc:  # any shape the source may send: every failure is this document's
            self.count("errors/unusable_document")
            self.logger.error("Skipped %s: %s: %s", where, type(exc).__name__, exc)
            known = getattr(exc, "source_id", None) or source_id
            if isinstance(known, str) and known.strip():
                yield Kept(source_id=known.strip(), reason="unusable_document")
            return
        if isinstance(item, Kept):
            self.logger.warning("%s %s: %s; the stored listing is kept as it was", where, item.source_id, item.reason)
        yield item

    def on_request_error(self, failure: Any) -> None:
        """Errback: count the failure by kind; the run goes on with the next request."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                # Gone from the source between discovery and detail (sitemaps are cached for
                # hours): counted apart from errors, which would flag the whole run.
                self.count("not_found")
                self.logger.warning("HTTP %s for %s (withdrawn?); skipped.", status, request.url)
            else:
                self.count(f"errors/http_{status}")
                self.logger.error("HTTP %s for %s; skipped.", status, request.url)
        elif failure.check(OffsiteRedirect):
            self.logger.error("%s; skipped.", failure.value)  # counted by the middleware
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            self.count("errors/timeout")
            self.logger.error("Timed out (after retries) on %s; skipped.", request.url)
        elif failure.check(DownloadCancelledError):
            self.count("errors/too_large")
            self.logger.error("The response of %s is larger than DOWNLOAD_MAXSIZE; skipped.", request.url)
        elif failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
            self.count("errors/connection")
            self.logger.error("Connection refused by %s (after retries); skipped.", request.url)
        elif failure.check(DNSLookupError, CannotResolveHostError):
            self.count("errors/dns")
            self.logger.error(
                "Cannot resolve the host of %s; check base_url and the network.", request.url
            )
        else:
            self.count(f"errors/{failure.type.__name__}")
            self.logger.error("Request to %s failed: %r; skipped.", request.url, failure.value)
