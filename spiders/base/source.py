"""The base every source spider stands on: the source's description, its root URL (replaceable
by the ``base_url`` argument, so tests point any spider at a replay server on 127.0.0.1), and
error handling that never stops a run: HTTP errors, timeouts, DNS and connection failures are
counted per kind in the crawler stats (``aggregator/errors/...``), logged with what to try, and
a document that no longer reads as a listing is counted and kept (``extracted``).

``JsonApiSpider`` (registers' APIs) and ``ProviderSiteSpider`` (providers' web sites) build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
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


class SourceSpider(scrapy.Spider):
    country: str = ""
    default_base_url: str = ""
    # What the rest of the project reads from a spider class: the source's description for the
    # sources table, and how it takes part in incremental runs.
    source_title: str = ""
    source_url: str = ""
    source_licence: str = ""
    source_licence_url: str = ""
    change_feed: bool = False  # takes incremental=1: fetches only what changed since the last clean run
    incremental_state: str = ""  # the spider argument the runner fills for incremental=1 (store.files reads the state)
    is_partial: bool = False  # this run sees only part of the source (filters): it marks nothing removed
    # "register": a national register, the job's backbone (its failure fails the nightly job);
    # "provider_site": a provider's own web site (its failure is reported, the job goes on)
    source_kind: str = "register"
    # the source whose listing of the same source id is the listing, when this source publishes
    # that one's offerings under its ids (store.offerings: one offering, one listing)
    preferred_source: str | None = None
    # whether the nightly job crawls it; a provider site only once someone has reviewed its
    # pages, robots.txt and terms (see README, "Add a source")
    enabled: bool = True

    def __init__(self, *args: Any, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"{self.name}: base_url must start with http:// or https://, got {self.base_url!r}")

    def discovery_requests(self) -> Iterable[scrapy.Request]:
        raise NotImplementedError(f"{type(self).__name__} must define discovery_requests()")

    async def start(self):  # Scrapy >= 2.13 entry point
        for request in self.discovery_requests():
            yield request

    # --- reading responses -------------------------------------------------------------------
    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"aggregator/{key}", n)

    def beyond_page_cap(self, pages: int, where: str) -> bool:
        """Whether ``pages`` pages of one listing are more than AGGREGATOR_MAX_PAGES allows; if
        so the excess is a counted error (the run is flagged) and the caller reads no further."""
        limit = self.settings.getint("AGGREGATOR_MAX_PAGES", 5000)
        if pages <= limit:
            return False
        self.count("errors/page_cap")
        self.logger.error(
            "%s: the source says there are more pages than the %d read (AGGREGATOR_MAX_PAGES); "
            "stopped there, and the run is flagged.",
            where,
            limit,
        )
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
        elif failure.check(IgnoreRequest):
            # robots.txt forbids it (Scrapy counts robotstxt/forbidden): obeyed, not an error
            self.count("robots_forbidden")
            self.logger.info("Not fetched (%s): %s", failure.value, request.url)
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
            self.logger.error("Cannot resolve the host of %s; check base_url and the network.", request.url)
        else:
            self.count(f"errors/{failure.type.__name__}")
            self.logger.error("Request to %s failed: %r; skipped.", request.url, failure.value)
